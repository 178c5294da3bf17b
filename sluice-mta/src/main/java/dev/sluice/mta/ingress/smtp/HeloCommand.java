package dev.sluice.mta.ingress.smtp;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;

/** HELO and EHLO: record the client's name, reset the transaction, list the extensions for EHLO. */
final class HeloCommand implements CommandHandler {
    private final boolean tlsAvailable;

    HeloCommand(boolean tlsAvailable) {
        this.tlsAvailable = tlsAvailable;
    }

    @Override
    public List<String> verbs() {
        return List.of("HELO", "EHLO");
    }

    @Override
    public CompletionStage<SmtpReply> onCommand(SmtpSession session, String verb, String argument) {
        String name = argument.strip();
        if (name.isEmpty() || name.chars().anyMatch(Character::isWhitespace)) {
            return Replies.syntax(Replies.usage(verb, false)).now();
        }
        boolean extended = verb.equals("EHLO");
        session.greeted(name, extended);
        if (!extended) {
            return SmtpReply.of(250, null, session.hostname()).now();
        }
        List<String> lines = new ArrayList<>();
        lines.add(session.hostname());
        lines.add("PIPELINING");
        lines.add("SIZE " + session.params().maxMessageSize());
        lines.add("8BITMIME");
        lines.add("SMTPUTF8");
        if (tlsAvailable && !session.tls()) {
            lines.add("STARTTLS");
        }
        lines.add("ENHANCEDSTATUSCODES");
        return new SmtpReply(250, lines, SmtpReply.Action.CONTINUE).now();
    }
}
