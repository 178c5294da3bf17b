package dev.sluice.egress.smtp;

import dev.sluice.policy.egress.TlsMode;

import java.time.Duration;

/**
 * Responses the client makes up when the server gave none (timeout, lost connection) or when it refuses
 * locally; their content always starts with {@value #PREFIX} so logs tell them from real replies.
 */
final class SyntheticResponses {
    static final String PREFIX = "Sluice internal: ";

    private SyntheticResponses() {}

    static SmtpResponse timeout(String command, Duration timeout) {
        return new SmtpResponse(421, new EnhancedStatusCode(4, 4, 2), PREFIX + "timed out after " + human(timeout)
                + " waiting for the response to " + describe(command), command);
    }

    static SmtpResponse connectionLost(String command, Throwable cause) {
        String why = cause == null || cause.getMessage() == null ? "" : " (" + cause.getMessage() + ")";
        return new SmtpResponse(421, new EnhancedStatusCode(4, 4, 2), PREFIX + "connection closed" + why
                + " while waiting for the response to " + describe(command), command);
    }

    static SmtpResponse closedWhileIdle(Throwable cause) {
        String why = cause == null || cause.getMessage() == null ? "" : " (" + cause.getMessage() + ")";
        return new SmtpResponse(421, new EnhancedStatusCode(4, 4, 2), PREFIX + "connection closed" + why
                + " while idle between transactions", null);
    }

    static SmtpResponse unusable(String command, String why) {
        return new SmtpResponse(421, new EnhancedStatusCode(4, 4, 2), PREFIX + "connection not usable: " + why, command);
    }

    static SmtpResponse tooBig(long size, long limit, String command) {
        return new SmtpResponse(552, new EnhancedStatusCode(5, 3, 4), PREFIX + "message is " + size
                + " bytes, more than the SIZE " + limit + " the server advertised", command);
    }

    static SmtpResponse no8bitMime(String command) {
        return new SmtpResponse(554, new EnhancedStatusCode(5, 6, 3), PREFIX
                + "message needs 8BITMIME but the server did not advertise it", command);
    }

    static SmtpResponse noSmtputf8(String command) {
        return new SmtpResponse(554, new EnhancedStatusCode(5, 6, 7), PREFIX
                + "message needs SMTPUTF8 but the server did not advertise it", command);
    }

    static SmtpResponse tlsNotOffered(TlsMode mode) {
        return new SmtpResponse(421, new EnhancedStatusCode(4, 7, 0), PREFIX + "enable_tls is " + mode
                + " but the server did not advertise STARTTLS", "EHLO");
    }

    static SmtpResponse tlsFailed(TlsMode mode, Throwable cause) {
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        return new SmtpResponse(421, new EnhancedStatusCode(4, 7, 0), PREFIX + "TLS handshake failed (enable_tls is "
                + mode + "): " + (root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName()), "STARTTLS");
    }

    static SmtpResponse startTlsInjection() {
        return new SmtpResponse(421, new EnhancedStatusCode(4, 7, 0), PREFIX
                + "server sent data after its STARTTLS reply before the TLS handshake (possible injection)", "STARTTLS");
    }

    private static String describe(String command) {
        if (command == null) return "the banner";
        if (command.equals(".")) return "the final dot of DATA";
        return command;
    }

    private static String human(Duration d) {
        if (d.toMillis() % 1000 == 0) return d.toSeconds() + "s";
        return d.toMillis() + "ms";
    }
}
