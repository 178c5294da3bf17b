package dev.sluice.mta.ingress.http;

import dev.sluice.mta.ingress.http.InjectRequest.Mailbox;
import dev.sluice.mta.ingress.http.InjectRequest.Raw;
import dev.sluice.mta.ingress.http.InjectRequest.Recipient;
import dev.sluice.mta.ingress.http.InjectRequest.Structured;
import dev.sluice.mta.message.MessageId;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Turns one request into one RFC 5322 message per recipient. Template variables for a recipient are the
 * request's substitutions, then {@code email}, {@code name} and {@code to_header}, then the recipient's own
 * substitutions, later ones winning (KumoMTA's order).
 */
final class MessageGenerator {

    static final DateTimeFormatter RFC5322_DATE =
            DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT).withZone(ZoneOffset.UTC);

    private final InjectRequest request;
    private final Templates templates;
    private final String hostname;

    MessageGenerator(InjectRequest request, String hostname) {
        this.request = request;
        this.templates = Templates.of(request.dialect());
        this.hostname = hostname;
    }

    /** Refuses (422) content whose templates are malformed or which cannot become a message for anyone. */
    void check() throws InjectRequestException {
        switch (request.content()) {
            case Raw raw -> {
                if (hasMarkup(raw.text())) { // text without markup renders as itself: no engine pass over it
                    templates.check("content", raw.text());
                }
                if (raw.text().isBlank()) {
                    throw InjectRequestException.unprocessable("content: empty message");
                }
                // Only when no template can change it: otherwise each recipient's rendering is checked.
                if (request.dialect() == TemplateDialect.STATIC || !hasMarkup(raw.text())) {
                    String problem = RawContent.problem(Syntax.normalizeCrlf(raw.text()));
                    if (problem != null) {
                        throw InjectRequestException.unprocessable("content: not an RFC 5322 message: " + problem);
                    }
                }
            }
            case Structured s -> {
                if (s.subject() != null) {
                    templates.check("content.subject", s.subject());
                }
                for (var h : s.headers().entrySet()) {
                    templates.check("content.headers['" + h.getKey() + "']", h.getValue());
                }
                for (Mailbox m : new Mailbox[] {s.from(), s.replyTo()}) {
                    if (m != null && m.name() != null) {
                        templates.check(m == s.from() ? "content.from.name" : "content.reply_to.name", m.name());
                    }
                }
                if (s.textBody() != null) {
                    templates.check("content.text_body", s.textBody());
                }
                if (s.htmlBody() != null) {
                    templates.check("content.html_body", s.htmlBody());
                }
                if (s.ampHtmlBody() != null) {
                    templates.check("content.amp_html_body", s.ampHtmlBody());
                }
            }
        }
    }

    private static boolean hasMarkup(String text) {
        return text.contains("{{") || text.contains("{%") || text.contains("{#");
    }

    /** The message for one recipient, CRLF line ends throughout. */
    byte[] generate(Recipient recipient, MessageId id, Instant now, InetSocketAddress peer,
                    Map<String, Object> meta) throws GenerationFailure {
        Text t = text(recipient, id, now, peer, meta);
        return (t.trace() + t.message()).getBytes(StandardCharsets.UTF_8);
    }

    /** A generated message as its trace headers and the rest, not joined (a large one is written out in parts). */
    record Text(String trace, String message) {
        long length() {
            return (long) trace.length() + message.length();
        }
    }

    /** The message for one recipient as text, CRLF line ends throughout. */
    Text text(Recipient recipient, MessageId id, Instant now, InetSocketAddress peer, Map<String, Object> meta)
            throws GenerationFailure {
        Map<String, Object> vars = variables(recipient);
        String trace = traceHeaders(recipient, id, now, peer, meta);
        try {
            String message = switch (request.content()) {
                case Raw raw -> raw(raw, vars);
                case Structured s -> structured(s, recipient, vars, id, now);
            };
            return new Text(trace, message);
        } catch (IllegalArgumentException e) {
            throw new GenerationFailure(e.getMessage());
        }
    }

    Map<String, Object> variables(Recipient r) {
        Map<String, Object> vars = new HashMap<>(request.substitutions());
        vars.put("email", r.email());
        if (r.name() != null) {
            vars.put("name", r.name());
        }
        vars.put("to_header", HeaderEncoding.mailbox(r.email(), r.name()));
        vars.putAll(r.substitutions());
        return vars;
    }

    private String raw(Raw raw, Map<String, Object> vars) throws GenerationFailure {
        String text = Syntax.normalizeCrlf(hasMarkup(raw.text()) ? templates.render("content", raw.text(), vars, false)
                : raw.text());
        String problem = RawContent.problem(text);
        if (problem != null) {
            throw new GenerationFailure("content: not an RFC 5322 message: " + problem);
        }
        // Used as is; only a missing final line end is added, since SMTP DATA needs one.
        return text.endsWith("\r\n") ? text : text + "\r\n";
    }

    private String structured(Structured s, Recipient r, Map<String, Object> vars, MessageId id, Instant now)
            throws GenerationFailure {
        // Header values by lower-case name, in output order; explicit headers may replace the defaults.
        Map<String, String> fields = new LinkedHashMap<>();
        Map<String, String> names = new HashMap<>();
        java.util.function.BiConsumer<String, String> put = (name, line) -> {
            fields.put(name.toLowerCase(Locale.ROOT), line);
            names.put(name.toLowerCase(Locale.ROOT), name);
        };
        if (s.from() != null) {
            put.accept("From", HeaderEncoding.address("From", mailbox(s.from(), "content.from.name", vars)));
        }
        if (s.replyTo() != null) {
            put.accept("Reply-To", HeaderEncoding.address("Reply-To", mailbox(s.replyTo(), "content.reply_to.name", vars)));
        }
        put.accept("To", HeaderEncoding.address("To", HeaderEncoding.mailbox(r.email(), r.name())));
        if (s.subject() != null) {
            put.accept("Subject", HeaderEncoding.unstructured("Subject",
                    templates.render("content.subject", s.subject(), vars, false)));
        }
        put.accept("Date", "Date: " + RFC5322_DATE.format(now) + "\r\n");
        put.accept("Message-ID", "Message-ID: <" + id + "@" + messageIdDomain(s) + ">\r\n");
        for (var h : s.headers().entrySet()) {
            String key = h.getKey().toLowerCase(Locale.ROOT);
            // The from/reply_to/subject shortcuts win over the same header in headers, as in KumoMTA.
            if ((key.equals("from") && s.from() != null) || (key.equals("reply-to") && s.replyTo() != null)
                    || (key.equals("subject") && s.subject() != null)) {
                continue;
            }
            String value = templates.render("content.headers['" + h.getKey() + "']", h.getValue(), vars, false);
            fields.remove(key); // re-inserted at the end, in the caller's order
            put.accept(h.getKey(), HeaderEncoding.unstructured(h.getKey(), value));
        }

        String text = s.textBody() == null ? null : templates.render("content.text_body", s.textBody(), vars, false);
        String amp = s.ampHtmlBody() == null ? null
                : templates.render("content.amp_html_body", s.ampHtmlBody(), vars, true);
        String html = s.htmlBody() == null ? null : templates.render("content.html_body", s.htmlBody(), vars, true);
        MimeBuilder.Part body = MimeBuilder.build(text, amp, html, s.attachments());

        StringBuilder out = new StringBuilder(body.body().length() + 1024);
        fields.values().forEach(out::append);
        out.append("MIME-Version: 1.0\r\n").append(body.headers()).append("\r\n").append(body.body());
        return out.toString();
    }

    private String mailbox(Mailbox m, String field, Map<String, Object> vars) throws GenerationFailure {
        String name = m.name() == null ? null : templates.render(field, m.name(), vars, false);
        return HeaderEncoding.mailbox(m.email(), name);
    }

    private String messageIdDomain(Structured s) {
        String domain = s.from() != null ? Syntax.domainOf(s.from().email()) : Syntax.domainOf(request.envelopeSender());
        if (domain.isEmpty() || !Syntax.isAscii(domain)) {
            domain = hostname;
        }
        return domain;
    }

    /** KumoMTA's trace_headers: an optional Received: and the supplemental X-KumoRef naming the recipient. */
    private String traceHeaders(Recipient r, MessageId id, Instant now, InetSocketAddress peer,
                                Map<String, Object> meta) {
        var t = request.traceHeaders();
        StringBuilder out = new StringBuilder();
        if (t.receivedHeader()) {
            String from = peer == null ? "unknown"
                    : peer.getAddress() instanceof java.net.Inet6Address a ? "[IPv6:" + a.getHostAddress() + "]"
                    : "[" + peer.getAddress().getHostAddress() + "]";
            out.append(HeaderEncoding.fold("Received: from " + from + " by " + hostname + " (Sluice) with HTTP id "
                    + id + " for <" + r.email() + ">; " + RFC5322_DATE.format(now))).append("\r\n");
        }
        if (t.supplementalHeader()) {
            Map<String, Object> ref = new LinkedHashMap<>();
            ref.put("_@_", "\\_/");
            ref.put("recipient", r.email());
            for (String name : t.includeMetaNames()) {
                if (meta.get(name) != null) {
                    ref.put(name, meta.get(name));
                }
            }
            try {
                String json = InjectRequestParser.JSON.writeValueAsString(ref);
                out.append(t.headerName()).append(": ")
                        .append(Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8)))
                        .append("\r\n");
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
        return out.toString();
    }
}
