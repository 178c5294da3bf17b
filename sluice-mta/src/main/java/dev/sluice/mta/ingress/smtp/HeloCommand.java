package dev.sluice.mta.ingress.smtp;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * HELO and EHLO: ask the policy ({@code smtp_server_ehlo(domain, conn_meta, extensions)}, which may reject or
 * return the list of extensions to advertise instead), then record the client's name, reset the transaction and
 * list the extensions for EHLO. {@code AUTH PLAIN} is advertised only once TLS is on, as KumoMTA does.
 */
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
        List<String> extensions = null;
        if (extended) {
            extensions = new ArrayList<>();
            extensions.add("PIPELINING");
            extensions.add("SIZE " + session.params().maxMessageSize());
            extensions.add("8BITMIME");
            extensions.add("SMTPUTF8");
            if (tlsAvailable && !session.tls()) {
                extensions.add("STARTTLS");
            }
            if (session.tls()) {
                extensions.add("AUTH PLAIN"); // as KumoMTA: AUTH only over TLS
            }
            extensions.add("ENHANCEDSTATUSCODES");
        }
        List<String> standard = extensions;
        var event = session.services().events().ehlo(name, extensions == null ? null : List.copyOf(extensions),
                session.meta());
        return EventReplies.after(event, "smtp_server_ehlo", session, value -> {
            session.greeted(name, extended);
            if (!extended) {
                return SmtpReply.of(250, null, session.hostname());
            }
            List<String> lines = new ArrayList<>();
            lines.add(session.hostname());
            lines.addAll(value instanceof List<?> replaced ? replaced.stream().map(e -> String.valueOf(e).replaceAll("[\\r\\n]+", " ")).toList() : standard);
            return new SmtpReply(250, lines, SmtpReply.Action.CONTINUE);
        });
    }
}
