package dev.sluice.mta.ingress.smtp;

import java.util.List;
import java.util.concurrent.CompletionStage;

/** STARTTLS: 220, then the handshake (the session handler adds the SslHandler and forgets the session). */
final class StartTlsCommand implements CommandHandler {

    @Override
    public List<String> verbs() {
        return List.of("STARTTLS");
    }

    @Override
    public CompletionStage<SmtpReply> onCommand(SmtpSession session, String verb, String argument) {
        if (!argument.isBlank()) {
            return Replies.syntax("STARTTLS").now();
        }
        if (session.tls()) {
            return SmtpReply.of(503, "5.5.1", "Error: TLS already active").now();
        }
        if (session.inTransaction()) {
            return SmtpReply.of(503, "5.5.1", "Error: STARTTLS not allowed during a mail transaction").now();
        }
        return SmtpReply.of(220, "2.0.0", "Ready to start TLS").then(SmtpReply.Action.START_TLS).now();
    }
}
