package dev.sluice.mta.ingress.smtp;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A reply and what the session does once it is written.
 *
 * @param code   three-digit reply code
 * @param lines  reply text, one entry per line (an enhanced status code, when any, is part of the text)
 * @param action what follows the reply
 */
public record SmtpReply(int code, List<String> lines, Action action) {

    public enum Action {
        /** Read the next command. */
        CONTINUE,
        /** Close the connection after the reply. */
        CLOSE,
        /** Read message data up to CRLF.CRLF. */
        START_DATA,
        /** Start the TLS handshake; the reply itself goes out in clear. */
        START_TLS
    }

    public SmtpReply {
        if (code < 200 || code > 599) {
            throw new IllegalArgumentException("reply code " + code);
        }
        lines = List.copyOf(lines);
        if (lines.isEmpty()) {
            throw new IllegalArgumentException("a reply needs a line");
        }
    }

    /** {@code code enhanced text}, e.g. {@code of(250, "2.1.0", "OK")}; a null enhanced code is left out. */
    public static SmtpReply of(int code, String enhanced, String text) {
        return new SmtpReply(code, List.of(enhanced == null ? text : enhanced + " " + text), Action.CONTINUE);
    }

    public SmtpReply then(Action next) {
        return new SmtpReply(code, lines, next);
    }

    /** This reply as an already completed stage, for handlers that answer at once. */
    public CompletionStage<SmtpReply> now() {
        return CompletableFuture.completedFuture(this);
    }

    /** The wire form: {@code 250-first}, ..., {@code 250 last}, each ending in CRLF. */
    public byte[] encode() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            sb.append(code).append(i == lines.size() - 1 ? ' ' : '-').append(lines.get(i)).append("\r\n");
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return code + " " + String.join(" / ", lines);
    }
}
