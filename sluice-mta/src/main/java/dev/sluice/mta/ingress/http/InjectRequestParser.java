package dev.sluice.mta.ingress.http;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.sluice.mta.ingress.http.InjectRequest.Attachment;
import dev.sluice.mta.ingress.http.InjectRequest.Content;
import dev.sluice.mta.ingress.http.InjectRequest.Mailbox;
import dev.sluice.mta.ingress.http.InjectRequest.Raw;
import dev.sluice.mta.ingress.http.InjectRequest.Recipient;
import dev.sluice.mta.ingress.http.InjectRequest.Structured;
import dev.sluice.mta.ingress.http.InjectRequest.TraceHeaders;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads a request body into an {@link InjectRequest}. Shape errors are 400 and name the field by its JSON path
 * ({@code recipients[2].email: not an email address}); content that cannot be built is 422. Unknown fields are
 * ignored, as KumoMTA does.
 */
public final class InjectRequestParser {

    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** Headers the structured form writes itself; setting them in {@code headers} would make the MIME wrong. */
    private static final Set<String> BUILDER_HEADERS =
            Set.of("mime-version", "content-type", "content-transfer-encoding");

    private InjectRequestParser() {}

    public static InjectRequest parse(byte[] body) throws InjectRequestException {
        return parse(() -> JSON.readTree(body));
    }

    /** A body read from a stream (a large one, from the file it was written to). */
    public static InjectRequest parse(java.io.InputStream body) throws InjectRequestException {
        return parse(() -> JSON.readTree(body));
    }

    private interface Reader {
        JsonNode read() throws java.io.IOException;
    }

    private static InjectRequest parse(Reader body) throws InjectRequestException {
        JsonNode root;
        try {
            root = body.read();
        } catch (JacksonException e) {
            throw InjectRequestException.badRequest("invalid JSON: " + e.getOriginalMessage()
                    + location(e));
        } catch (java.io.IOException e) {
            throw InjectRequestException.badRequest("invalid JSON: " + e.getMessage());
        }
        if (root == null || root.isMissingNode()) {
            throw InjectRequestException.badRequest("invalid JSON: empty body");
        }
        if (!root.isObject()) {
            throw InjectRequestException.badRequest("request: expected a JSON object, got " + kind(root));
        }

        String sender = requiredString(root, "envelope_sender", "envelope_sender");
        if (!sender.isEmpty() && !Syntax.isEmail(sender)) {
            throw InjectRequestException.badRequest("envelope_sender: not an email address: '" + sender + "'");
        }
        List<Recipient> recipients = recipients(root.get("recipients"));
        Map<String, Object> substitutions = object(root.get("substitutions"), "substitutions");
        TemplateDialect dialect = dialect(root.get("template_dialect"));
        if (bool(root.get("deferred_generation"), "deferred_generation", false)) {
            throw InjectRequestException.unprocessable("deferred_generation is not supported yet: "
                    + "send the request without it (messages are then generated before the answer)");
        }
        boolean deferredSpool = bool(root.get("deferred_spool"), "deferred_spool", false);
        TraceHeaders trace = traceHeaders(root.get("trace_headers"));
        Content content = content(root.get("content"));
        return new InjectRequest(sender, recipients, content, substitutions, dialect, deferredSpool, trace);
    }

    private static String location(JacksonException e) {
        var loc = e.getLocation();
        return loc == null ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
    }

    private static List<Recipient> recipients(JsonNode node) throws InjectRequestException {
        if (node == null || node.isNull()) {
            throw InjectRequestException.badRequest("recipients: required");
        }
        if (!node.isArray()) {
            throw InjectRequestException.badRequest("recipients: expected a list of {email, ...}, got " + kind(node));
        }
        if (node.isEmpty()) {
            throw InjectRequestException.badRequest("recipients: must not be empty");
        }
        List<Recipient> out = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            String path = "recipients[" + i + "]";
            JsonNode r = node.get(i);
            if (!r.isObject()) {
                throw InjectRequestException.badRequest(path + ": expected an object {email, name?, substitutions?, "
                        + "metadata?}, got " + kind(r));
            }
            String email = requiredString(r, "email", path + ".email");
            if (!Syntax.isEmail(email)) {
                throw InjectRequestException.badRequest(path + ".email: not an email address: '" + email + "'");
            }
            out.add(new Recipient(email, optionalString(r.get("name"), path + ".name"),
                    object(r.get("substitutions"), path + ".substitutions"),
                    object(r.get("metadata"), path + ".metadata")));
        }
        return out;
    }

    private static TemplateDialect dialect(JsonNode node) throws InjectRequestException {
        String value = optionalString(node, "template_dialect");
        if (value == null) {
            return TemplateDialect.JINJA;
        }
        return switch (value) {
            case "Jinja" -> TemplateDialect.JINJA;
            case "Static" -> TemplateDialect.STATIC;
            case "Handlebars" -> throw InjectRequestException.unprocessable(
                    "template_dialect: Handlebars is not supported by Sluice (use Jinja or Static)");
            default -> throw InjectRequestException.badRequest(
                    "template_dialect: expected Jinja, Static or Handlebars, got '" + value + "'");
        };
    }

    private static TraceHeaders traceHeaders(JsonNode node) throws InjectRequestException {
        if (node == null || node.isNull()) {
            return TraceHeaders.DEFAULT;
        }
        if (!node.isObject()) {
            throw InjectRequestException.badRequest("trace_headers: expected an object, got " + kind(node));
        }
        TraceHeaders d = TraceHeaders.DEFAULT;
        String name = optionalString(node.get("header_name"), "trace_headers.header_name");
        if (name != null && !Syntax.isHeaderName(name)) {
            throw InjectRequestException.badRequest("trace_headers.header_name: not a header name: '" + name + "'");
        }
        List<String> metaNames = new ArrayList<>();
        JsonNode names = node.get("include_meta_names");
        if (names != null && !names.isNull()) {
            // KumoMTA's own docs show {} for the empty list; take both.
            if (names.isObject() && names.isEmpty()) {
                names = JSON.createArrayNode();
            }
            if (!names.isArray()) {
                throw InjectRequestException.badRequest("trace_headers.include_meta_names: expected a list of strings");
            }
            for (int i = 0; i < names.size(); i++) {
                metaNames.add(requiredText(names.get(i), "trace_headers.include_meta_names[" + i + "]"));
            }
        }
        return new TraceHeaders(
                bool(node.get("received_header"), "trace_headers.received_header", d.receivedHeader()),
                bool(node.get("supplemental_header"), "trace_headers.supplemental_header", d.supplementalHeader()),
                name == null ? d.headerName() : name, metaNames);
    }

    private static Content content(JsonNode node) throws InjectRequestException {
        if (node == null || node.isNull()) {
            throw InjectRequestException.badRequest("content: required");
        }
        if (node.isTextual()) {
            return new Raw(node.textValue());
        }
        if (!node.isObject()) {
            throw InjectRequestException.badRequest("content: expected an RFC 5322 message as a string or an object "
                    + "{subject, from, reply_to, headers, text_body, html_body, amp_html_body, attachments}, got "
                    + kind(node));
        }
        String text = optionalString(node.get("text_body"), "content.text_body");
        String html = optionalString(node.get("html_body"), "content.html_body");
        String amp = optionalString(node.get("amp_html_body"), "content.amp_html_body");
        if (text == null && html == null) {
            throw InjectRequestException.unprocessable("content: at least one of text_body and html_body must be given");
        }
        if (amp != null && text == null && html == null) {
            throw InjectRequestException.unprocessable("content.amp_html_body: needs a text_body or html_body too");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        JsonNode h = node.get("headers");
        if (h != null && !h.isNull()) {
            if (!h.isObject()) {
                throw InjectRequestException.badRequest("content.headers: expected an object {name: value}, got "
                        + kind(h));
            }
            for (var e : h.properties()) {
                String path = "content.headers['" + e.getKey() + "']";
                if (!Syntax.isHeaderName(e.getKey())) {
                    throw InjectRequestException.unprocessable(path + ": not a valid header name");
                }
                if (BUILDER_HEADERS.contains(e.getKey().toLowerCase(Locale.ROOT))) {
                    throw InjectRequestException.unprocessable(path + ": set by the MIME builder; send raw content "
                            + "to control it");
                }
                headers.put(e.getKey(), requiredText(e.getValue(), path));
            }
        }
        return new Structured(optionalString(node.get("subject"), "content.subject"),
                mailbox(node.get("from"), "content.from"), mailbox(node.get("reply_to"), "content.reply_to"),
                headers, text, html, amp, attachments(node.get("attachments")));
    }

    private static Mailbox mailbox(JsonNode node, String path) throws InjectRequestException {
        if (node == null || node.isNull()) {
            return null;
        }
        String email;
        String name = null;
        if (node.isTextual()) {
            email = node.textValue();
        } else if (node.isObject()) {
            email = requiredString(node, "email", path + ".email");
            name = optionalString(node.get("name"), path + ".name");
        } else {
            throw InjectRequestException.badRequest(path + ": expected an object {email, name?}, got " + kind(node));
        }
        if (!Syntax.isEmail(email)) {
            throw InjectRequestException.badRequest(path + ".email: not an email address: '" + email + "'");
        }
        return new Mailbox(email, name);
    }

    private static List<Attachment> attachments(JsonNode node) throws InjectRequestException {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw InjectRequestException.badRequest("content.attachments: expected a list, got " + kind(node));
        }
        List<Attachment> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            String path = "content.attachments[" + i + "]";
            JsonNode a = node.get(i);
            if (!a.isObject()) {
                throw InjectRequestException.badRequest(path + ": expected an object {data, content_type, ...}, got "
                        + kind(a));
            }
            String data = requiredString(a, "data", path + ".data");
            String contentType = requiredString(a, "content_type", path + ".content_type");
            if (!contentType.matches("[!-~&&[^/;]]+/[!-~&&[^/;]]+(\\s*;.*)?") || contentType.contains("\r")
                    || contentType.contains("\n")) {
                throw InjectRequestException.unprocessable(path + ".content_type: not a MIME type: '" + contentType + "'");
            }
            if (contentType.regionMatches(true, 0, "multipart/", 0, 10)) {
                // sent base64-encoded it would be an invalid multipart entity (RFC 2046 5.1): no reader finds parts
                throw InjectRequestException.unprocessable(path + ".content_type: a multipart type cannot be an "
                        + "attachment: '" + contentType + "'");
            }
            String fileName = optionalString(a.get("file_name"), path + ".file_name");
            String contentId = optionalString(a.get("content_id"), path + ".content_id");
            if (contentId != null && !contentId.matches("[!-~&&[^<>]]+")) {
                throw InjectRequestException.unprocessable(path + ".content_id: not a valid Content-ID: '" + contentId + "'");
            }
            if (fileName != null && (fileName.contains("\r") || fileName.contains("\n"))) {
                throw InjectRequestException.unprocessable(path + ".file_name: contains a line break");
            }
            byte[] bytes;
            if (bool(a.get("base64"), path + ".base64", false)) {
                try {
                    bytes = Base64.getDecoder().decode(data.replaceAll("\\s+", ""));
                } catch (IllegalArgumentException e) {
                    throw InjectRequestException.unprocessable(path + ".data: not valid base64: " + e.getMessage());
                }
            } else {
                bytes = data.getBytes(StandardCharsets.UTF_8);
            }
            out.add(new Attachment(bytes, contentType, fileName, contentId));
        }
        return out;
    }

    // --- typed field readers, each naming the field in its error ---

    private static String requiredString(JsonNode parent, String field, String path) throws InjectRequestException {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            throw InjectRequestException.badRequest(path + ": required");
        }
        return requiredText(node, path);
    }

    private static String requiredText(JsonNode node, String path) throws InjectRequestException {
        if (node == null || !node.isTextual()) {
            throw InjectRequestException.badRequest(path + ": expected a string, got " + kind(node));
        }
        return node.textValue();
    }

    private static String optionalString(JsonNode node, String path) throws InjectRequestException {
        return node == null || node.isNull() ? null : requiredText(node, path);
    }

    private static boolean bool(JsonNode node, String path, boolean fallback) throws InjectRequestException {
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isBoolean()) {
            throw InjectRequestException.badRequest(path + ": expected true or false, got " + kind(node));
        }
        return node.booleanValue();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(JsonNode node, String path) throws InjectRequestException {
        if (node == null || node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw InjectRequestException.badRequest(path + ": expected an object, got " + kind(node));
        }
        // Values may be any JSON (numbers, lists, objects) as in KumoMTA; nulls become absent keys.
        Map<String, Object> out = new LinkedHashMap<>();
        for (var e : node.properties()) {
            if (!e.getValue().isNull()) {
                out.put(e.getKey(), JSON.convertValue(e.getValue(), Object.class));
            }
        }
        return out;
    }

    private static String kind(JsonNode node) {
        if (node == null || node.isNull()) {
            return "null";
        }
        return switch (node.getNodeType()) {
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case ARRAY -> "a list";
            case OBJECT -> "an object";
            default -> node.getNodeType().name().toLowerCase(Locale.ROOT);
        };
    }
}
