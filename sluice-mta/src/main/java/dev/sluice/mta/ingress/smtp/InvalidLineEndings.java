package dev.sluice.mta.ingress.smtp;

import java.util.Locale;

/** What to do with DATA that holds a bare CR or a bare LF (KumoMTA's {@code invalid_line_endings}). */
public enum InvalidLineEndings {
    /** Reject the message (the default): such data is how SMTP smuggling hides a second message. */
    DENY,
    /** Keep the data exactly as received. */
    ALLOW,
    /** Turn every bare CR and bare LF into CRLF. */
    FIX;

    public static InvalidLineEndings parse(String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "deny" -> DENY;
            case "allow" -> ALLOW;
            case "fix" -> FIX;
            default -> throw new IllegalArgumentException("'" + text + "' is not one of Deny, Allow, Fix");
        };
    }
}
