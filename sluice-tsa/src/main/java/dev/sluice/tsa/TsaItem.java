package dev.sluice.tsa;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/**
 * One effect of a fired automation rule, live until {@code expires}. The JSON forms are KumoMTA's: the websocket items
 * are externally tagged ({@code {"ReadyQSuspension": {...}}}), {@code expires} an RFC 3339 UTC time.
 */
public sealed interface TsaItem {
    ObjectMapper JSON = new ObjectMapper();

    /** Where the item is stored; a new item with the same key replaces (extends) the old one. */
    String key();

    Instant expires();

    /** Stop new connections of {@code source} to the ready queue {@code siteName}. */
    record ReadyQSuspension(String ruleHash, String siteName, String reason, String source, Instant expires)
            implements TsaItem {
        @Override
        public String key() {
            return "readyq/" + siteName + "-" + ruleHash;
        }
    }

    /** Hold the scheduled queues of {@code domain} for {@code tenant} (and {@code campaign} when not null). */
    record SchedQSuspension(String ruleHash, String tenant, String domain, String campaign, String reason,
                            Instant expires) implements TsaItem {
        @Override
        public String key() {
            return "schedq/" + ruleHash + "/" + domain + "/" + tenant + "/" + campaign;
        }
    }

    /** Bounce what is queued for {@code domain} (narrowed to {@code tenant} and {@code campaign} when not null). */
    record SchedQBounce(String ruleHash, String domain, String tenant, String campaign, String reason,
                        Instant expires) implements TsaItem {
        @Override
        public String key() {
            return "bounce/" + ruleHash + "/" + domain + "/" + tenant + "/" + campaign;
        }
    }

    /**
     * A SetConfig / SetDomainConfig override of path option {@code name} for {@code domain} (its whole site when
     * {@code mxRollup}) and {@code source}; served as a shaping TOML overlay, not over the websocket.
     */
    record ConfigOverride(String ruleHash, String domain, boolean mxRollup, String source, String name, Object value,
                          String reason, Instant expires) implements TsaItem {
        @Override
        public String key() {
            return "config/" + ruleHash;
        }
    }

    /** The item's fields as KumoMTA names them. */
    default ObjectNode body() {
        ObjectNode o = JSON.createObjectNode();
        switch (this) {
            case ReadyQSuspension r -> {
                o.put("rule_hash", r.ruleHash()).put("site_name", r.siteName()).put("reason", r.reason())
                        .put("source", r.source());
            }
            case SchedQSuspension s -> {
                o.put("rule_hash", s.ruleHash()).put("tenant", s.tenant()).put("domain", s.domain())
                        .put("campaign", s.campaign()).put("reason", s.reason());
            }
            case SchedQBounce b -> {
                o.put("rule_hash", b.ruleHash()).put("domain", b.domain()).put("tenant", b.tenant())
                        .put("campaign", b.campaign()).put("reason", b.reason());
            }
            case ConfigOverride c -> {
                o.put("rule_hash", c.ruleHash()).put("domain", c.domain()).put("mx_rollup", c.mxRollup())
                        .put("source", c.source()).put("name", c.name()).set("value", JSON.valueToTree(c.value()));
                o.put("reason", c.reason());
            }
        }
        o.put("expires", expires().toString());
        return o;
    }

    /** KumoMTA's tag for the item. */
    default String tag() {
        return switch (this) {
            case ReadyQSuspension r -> "ReadyQSuspension";
            case SchedQSuspension s -> "SchedQSuspension";
            case SchedQBounce b -> "SchedQBounce";
            case ConfigOverride c -> "ConfigOverride";
        };
    }

    /** The externally tagged form, as the websocket sends it and the store keeps it. */
    default String tagged() {
        ObjectNode o = JSON.createObjectNode();
        o.set(tag(), body());
        return o.toString();
    }

    /** Reads {@link #tagged()} back. */
    static TsaItem parse(String json) {
        try {
            JsonNode root = JSON.readTree(json);
            String tag = root.fieldNames().next();
            JsonNode b = root.get(tag);
            Instant expires = Instant.parse(b.get("expires").asText());
            return switch (tag) {
                case "ReadyQSuspension" -> new ReadyQSuspension(text(b, "rule_hash"), text(b, "site_name"),
                        text(b, "reason"), text(b, "source"), expires);
                case "SchedQSuspension" -> new SchedQSuspension(text(b, "rule_hash"), text(b, "tenant"),
                        text(b, "domain"), text(b, "campaign"), text(b, "reason"), expires);
                case "SchedQBounce" -> new SchedQBounce(text(b, "rule_hash"), text(b, "domain"), text(b, "tenant"),
                        text(b, "campaign"), text(b, "reason"), expires);
                case "ConfigOverride" -> new ConfigOverride(text(b, "rule_hash"), text(b, "domain"),
                        b.path("mx_rollup").asBoolean(), text(b, "source"), text(b, "name"),
                        JSON.treeToValue(b.get("value"), Object.class), text(b, "reason"), expires);
                default -> throw new IllegalArgumentException("unknown item kind '" + tag + "'");
            };
        } catch (java.io.IOException | RuntimeException e) {
            throw new IllegalArgumentException("bad stored item " + json + ": " + e.getMessage(), e);
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
