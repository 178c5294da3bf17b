package dev.sluice.mta.ingress.smtp;

/** Replies shared by several handlers. */
final class Replies {
    private Replies() {}

    static final SmtpReply OK = SmtpReply.of(250, "2.0.0", "OK");
    static final SmtpReply SEND_HELO_FIRST = SmtpReply.of(503, "5.5.1", "Error: send HELO first");
    static final SmtpReply NEED_MAIL = SmtpReply.of(503, "5.5.1", "Error: need MAIL command");
    static final SmtpReply NEED_RCPT = SmtpReply.of(503, "5.5.1", "Error: need RCPT command");
    static final SmtpReply LINE_TOO_LONG = SmtpReply.of(500, "5.5.2", "line too long");
    static final SmtpReply BAD_SYNTAX = SmtpReply.of(500, "5.5.2", "Error: bad syntax");
    static final SmtpReply BAD_ENCODING = SmtpReply.of(500, "5.5.2", "Error: command is not valid UTF-8");
    // Postfix's texts
    static final SmtpReply BAD_SENDER = SmtpReply.of(501, "5.1.7", "Bad sender address syntax");
    static final SmtpReply BAD_RECIPIENT = SmtpReply.of(501, "5.1.3", "Bad recipient address syntax");
    static final SmtpReply NEEDS_SMTPUTF8 = SmtpReply.of(553, "5.6.7", "Must declare SMTPUTF8 to send unicode address");

    static SmtpReply syntax(String usage) {
        return SmtpReply.of(501, "5.5.4", "Syntax: " + usage);
    }

    /** The usage line of each verb, in the ESMTP form when the client said EHLO. */
    static String usage(String verb, boolean esmtp) {
        return switch (verb) {
            case "HELO" -> "HELO hostname";
            case "EHLO" -> "EHLO hostname";
            case "MAIL" -> esmtp ? "MAIL FROM:<address> [SP <mail-parameters>]" : "MAIL FROM:<address>";
            case "RCPT" -> esmtp ? "RCPT TO:<address> [SP <rcpt-parameters>]" : "RCPT TO:<address>";
            case "VRFY" -> "VRFY <address>";
            case "HELP" -> "HELP [command]";
            default -> verb;
        };
    }
}
