package dev.sluice.egress.smtp;

import java.util.ArrayList;
import java.util.List;

/**
 * A server reply (or one the client synthesized, see {@link SyntheticResponses}) with the command it answers,
 * as KumoMTA logs it: {@code response{code, enhanced_code, content, command}}.
 *
 * @param code     three-digit reply code
 * @param enhanced enhanced status code, or null when the reply has none
 * @param content  reply text without code and enhanced code; lines of a multi-line reply joined by "\n"
 * @param command  the command line it answers, without CRLF (e.g. "RCPT TO:&lt;a@b&gt;", "DATA", "." for the
 *                 final dot), or null for the banner
 */
public record SmtpResponse(int code, EnhancedStatusCode enhanced, String content, String command) {

    static SmtpResponse of(SmtpReply reply, String command) {
        EnhancedStatusCode enhanced = reply.lines().isEmpty() ? null
                : EnhancedStatusCode.parsePrefix(reply.lines().getFirst(), reply.code());
        List<String> text = new ArrayList<>();
        for (String line : reply.lines()) {
            String t = line;
            if (enhanced != null && t.startsWith(enhanced.toString())) t = t.substring(enhanced.toString().length()).strip();
            text.add(t);
        }
        return new SmtpResponse(reply.code(), enhanced, String.join("\n", text), command);
    }

    public boolean isPositive() {
        return code >= 200 && code < 400;
    }

    public boolean isTransientFailure() {
        return code >= 400 && code < 500;
    }

    public boolean isPermanentFailure() {
        return code >= 500;
    }

    /** True for a response the client made up itself ({@link SyntheticResponses}), not the server's. */
    public boolean synthesized() {
        return content.startsWith(SyntheticResponses.PREFIX);
    }

    /** KumoMTA's one-line form: {@code "451 4.2.1 text"}, the lines of a multi-line reply joined by spaces. */
    public String singleLine() {
        return code + " " + (enhanced == null ? "" : enhanced + " ") + content.replace('\n', ' ');
    }

    /** This response with another code and a note appended to the text; the enhanced code is kept. */
    public SmtpResponse withCode(int newCode, String note) {
        return new SmtpResponse(newCode, enhanced, content + note, command);
    }

    /** "250 2.0.0 Ok" style, for logs and assertion messages. */
    @Override
    public String toString() {
        return code + (enhanced == null ? "" : " " + enhanced) + " " + content.replace("\n", " / ")
                + (command == null ? "" : " (" + command + ")");
    }
}
