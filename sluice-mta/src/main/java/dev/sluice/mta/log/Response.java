package dev.sluice.mta.log;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * The SMTP response in a record: to or from the peer depending on the type.
 *
 * @param code         the SMTP status code
 * @param enhancedCode the RFC 3463 code, null when the response had none
 * @param content      the text after the codes
 * @param command      the command it answered ("MAIL FROM", "RCPT TO", "." for the end of DATA), or null
 */
@JsonPropertyOrder({"code", "enhanced_code", "content", "command"})
public record Response(@JsonProperty("code") int code,
                       @JsonProperty("enhanced_code") EnhancedCode enhancedCode,
                       @JsonProperty("content") String content,
                       @JsonProperty("command") String command) {

    public Response {
        content = content == null ? "" : content;
    }

    /** @param enhanced "2.0.0" form, or null/empty for none */
    public static Response of(int code, String enhanced, String content, String command) {
        return new Response(code, EnhancedCode.parse(enhanced), content, command);
    }

    /** The RFC 3463 status, in parts. */
    @JsonPropertyOrder({"class", "subject", "detail"})
    public record EnhancedCode(@JsonProperty("class") int klass,
                               @JsonProperty("subject") int subject,
                               @JsonProperty("detail") int detail) {

        /** Parses "4.7.1"; null or empty gives null. */
        public static EnhancedCode parse(String text) {
            if (text == null || text.isBlank()) {
                return null;
            }
            String[] parts = text.strip().split("\\.");
            if (parts.length != 3) {
                throw new IllegalArgumentException("not an enhanced status code: '" + text + "'");
            }
            try {
                return new EnhancedCode(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]),
                        Integer.parseInt(parts[2]));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not an enhanced status code: '" + text + "'", e);
            }
        }

        @Override
        public String toString() {
            return klass + "." + subject + "." + detail;
        }
    }
}
