package dev.sluice.mta.ingress.smtp;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletionStage;

/** HELP [verb]: 214 with the list of verbs or one verb's syntax. */
final class HelpCommand implements CommandHandler {
    static final String SUPPORTED = "Supported commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP STARTTLS";
    private static final List<String> TOPICS =
            List.of("EHLO", "HELO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT", "VRFY", "HELP", "STARTTLS");

    @Override
    public List<String> verbs() {
        return List.of("HELP");
    }

    @Override
    public CompletionStage<SmtpReply> onCommand(SmtpSession session, String verb, String argument) {
        String topic = argument.strip().toUpperCase(Locale.ROOT);
        if (topic.isEmpty()) {
            return SmtpReply.of(214, "2.0.0", SUPPORTED).now();
        }
        if (!TOPICS.contains(topic)) {
            return SmtpReply.of(501, "5.5.4", SUPPORTED).now();
        }
        return SmtpReply.of(214, "2.0.0", "Syntax: " + Replies.usage(topic, session.esmtp())).now();
    }
}
