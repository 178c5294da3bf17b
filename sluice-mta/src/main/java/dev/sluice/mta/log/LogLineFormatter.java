package dev.sluice.mta.log;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;

/**
 * One readable line per record, for {@code sluice logs}:
 * <pre>
 * 2026-11-23T10:00:00Z Delivery 0123…cdef &lt;a@x.example&gt; -&gt; &lt;b@y.example&gt; queue=y.example site=mx.y.example
 *   pool=pool-1 source=ip-1 from=127.0.0.7:5555 via socks5 127.0.0.1:1080 peer=mx.y.example/127.0.0.1 attempts=1
 *   : 250 2.0.0 ok
 * </pre>
 * (on one line). Fields that are empty or null are left out. Works on the JSON tree, so it also reads KumoMTA's
 * own logs and records with a list of recipients.
 */
public final class LogLineFormatter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private LogLineFormatter() {}

    /** Formats one JSON line; a line that is not JSON comes back as {@code "(not a record) " + line}. */
    public static String format(String jsonLine) {
        try {
            return format(JSON.readTree(jsonLine));
        } catch (JsonProcessingException e) {
            return "(not a record) " + jsonLine;
        }
    }

    public static String format(JsonNode r) {
        var sb = new StringBuilder();
        sb.append(time(r)).append(' ').append(text(r, "type"));
        append(sb, "", text(r, "id"));
        sb.append(" <").append(text(r, "sender")).append("> -> ").append(recipients(r.path("recipient")));
        field(sb, "queue", text(r, "queue"));
        field(sb, "site", text(r, "site"));
        field(sb, "pool", text(r, "egress_pool"));
        field(sb, "source", text(r, "egress_source"));
        JsonNode src = r.path("source_address");
        if (src.isObject()) {
            field(sb, "from", src.hasNonNull("address") ? text(src, "address") : src.has("note") ? "unreported" : "");
            String protocol = text(src, "protocol");
            if (!protocol.isEmpty()) {
                sb.append(" via ").append(protocol);
                append(sb, "", text(src, "server"));
            }
        }
        JsonNode peer = r.path("peer_address");
        if (peer.isObject()) {
            String name = text(peer, "name");
            String addr = text(peer, "addr");
            field(sb, "peer", name.isEmpty() ? addr : name + "/" + addr);
        }
        field(sb, "proto", firstNonEmpty(text(r, "delivery_protocol"), text(r, "reception_protocol")));
        int attempts = r.path("num_attempts").asInt(0);
        if (attempts > 0) {
            sb.append(" attempts=").append(attempts);
        }
        JsonNode resp = r.path("response");
        if (resp.isObject() && resp.path("code").asInt(0) != 0) {
            sb.append(": ").append(resp.path("code").asInt());
            JsonNode ec = resp.path("enhanced_code");
            if (ec.isObject()) {
                sb.append(' ').append(ec.path("class").asInt()).append('.').append(ec.path("subject").asInt())
                        .append('.').append(ec.path("detail").asInt());
            }
            append(sb, "", oneLine(text(resp, "content")));
        }
        return sb.toString();
    }

    /** event_time to the second (it is what an operator scans), else the unix timestamp. */
    private static String time(JsonNode r) {
        String eventTime = text(r, "event_time");
        if (!eventTime.isEmpty()) {
            try {
                return java.time.OffsetDateTime.parse(eventTime).toInstant().truncatedTo(ChronoUnit.SECONDS).toString();
            } catch (DateTimeParseException e) {
                return eventTime;
            }
        }
        return r.path("timestamp").isNumber() ? Instant.ofEpochSecond(r.path("timestamp").asLong()).toString() : "-";
    }

    private static String recipients(JsonNode n) {
        if (n.isArray()) {
            var parts = new java.util.ArrayList<String>();
            n.forEach(x -> parts.add("<" + x.asText() + ">"));
            return String.join(",", parts);
        }
        return "<" + (n.isNull() || n.isMissingNode() ? "" : n.asText()) + ">";
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isNull() || v.isMissingNode() ? "" : v.asText();
    }

    private static void field(StringBuilder sb, String name, String value) {
        if (!value.isEmpty()) {
            sb.append(' ').append(name).append('=').append(value);
        }
    }

    private static void append(StringBuilder sb, String prefix, String value) {
        if (!value.isEmpty()) {
            sb.append(' ').append(prefix).append(value);
        }
    }

    private static String firstNonEmpty(String a, String b) {
        return a.isEmpty() ? b : a;
    }

    /** Multi-line SMTP replies are kept on the record's one line. */
    private static String oneLine(String s) {
        return s.replaceAll("\\s*\\R\\s*", " / ").strip();
    }
}
