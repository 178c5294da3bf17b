package dev.sluice.mta.ingress.http;

import java.util.List;
import java.util.Map;

/**
 * A parsed {@code POST /api/inject/v1} body (KumoMTA's InjectV1Request). Field names in the JSON are the
 * snake_case ones given in the comments.
 *
 * @param envelopeSender     {@code envelope_sender}: MAIL FROM, "" for the null sender
 * @param recipients         {@code recipients}: one message is generated per recipient, at least one
 * @param content            {@code content}: a raw RFC 5322 string or the structured form
 * @param substitutions      {@code substitutions}: template variables for every recipient
 * @param dialect            {@code template_dialect}: {@code Jinja} (default) or {@code Static}
 * @param deferredSpool      {@code deferred_spool}: accepted; Sluice spools before answering anyway
 * @param traceHeaders       {@code trace_headers}
 */
public record InjectRequest(String envelopeSender, List<Recipient> recipients, Content content,
                            Map<String, Object> substitutions, TemplateDialect dialect, boolean deferredSpool,
                            TraceHeaders traceHeaders) {

    public InjectRequest {
        recipients = List.copyOf(recipients);
        substitutions = Map.copyOf(substitutions);
    }

    /**
     * One recipient.
     *
     * @param email         the envelope recipient, also the {@code email} template variable
     * @param name          display name or null; the {@code name} template variable and the To: name
     * @param substitutions per-recipient variables, laid over the request's
     * @param metadata      per-recipient meta, stored in the message meta as {@code rcpt_meta}
     */
    public record Recipient(String email, String name, Map<String, Object> substitutions,
                            Map<String, Object> metadata) {
        public Recipient {
            substitutions = Map.copyOf(substitutions);
            metadata = Map.copyOf(metadata);
        }
    }

    /** The message content. */
    public sealed interface Content {}

    /** A complete RFC 5322 message, used as it is after templating and CRLF normalisation. */
    public record Raw(String text) implements Content {}

    /**
     * The structured form: Sluice builds the MIME message. Subject, the bodies and the header values are
     * templates; attachments are not.
     *
     * @param headers extra headers in the order given (name → value template)
     */
    public record Structured(String subject, Mailbox from, Mailbox replyTo, Map<String, String> headers,
                             String textBody, String htmlBody, String ampHtmlBody, List<Attachment> attachments)
            implements Content {
        public Structured {
            headers = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(headers));
            attachments = List.copyOf(attachments);
        }
    }

    /** An address with an optional display name ({@code {email, name}}). */
    public record Mailbox(String email, String name) {}

    /**
     * An attachment, already decoded.
     *
     * @param contentId when set, the attachment is inline (multipart/related) with this Content-ID
     */
    public record Attachment(byte[] data, String contentType, String fileName, String contentId) {}

    /**
     * KumoMTA's {@code trace_headers}.
     *
     * @param receivedHeader     add a Received: header naming the HTTP client (default false)
     * @param supplementalHeader add {@code headerName} with base64 JSON naming the recipient (default true)
     * @param headerName         default {@code X-KumoRef}
     * @param includeMetaNames   meta keys whose values go into the supplemental header
     */
    public record TraceHeaders(boolean receivedHeader, boolean supplementalHeader, String headerName,
                               List<String> includeMetaNames) {
        public static final TraceHeaders DEFAULT = new TraceHeaders(false, true, "X-KumoRef", List.of());

        public TraceHeaders {
            includeMetaNames = List.copyOf(includeMetaNames);
        }
    }
}
