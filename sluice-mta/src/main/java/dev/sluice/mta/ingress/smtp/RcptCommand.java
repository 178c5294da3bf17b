package dev.sluice.mta.ingress.smtp;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * RCPT TO: adds a recipient. Clients inside relay_hosts may send anywhere; for others the {@link RelayPolicy}
 * decides per domain, and a refusal is {@code 550 5.7.1}. Then the policy's
 * {@code smtp_server_rcpt_to(recipient, conn_meta)} may still reject it.
 */
final class RcptCommand implements CommandHandler {

    @Override
    public List<String> verbs() {
        return List.of("RCPT");
    }

    @Override
    public CompletionStage<SmtpReply> onCommand(SmtpSession session, String verb, String argument) {
        if (session.heloName() == null) {
            return Replies.SEND_HELO_FIRST.now();
        }
        if (!session.inTransaction()) {
            return Replies.NEED_MAIL.now();
        }
        SmtpReply usage = Replies.syntax(Replies.usage("RCPT", session.esmtp()));
        Optional<PathArgument> parsed = PathArgument.parse(argument, "TO:");
        if (parsed.isEmpty() || parsed.get().address().isEmpty()) {
            return usage.now();
        }
        PathArgument path = parsed.get();
        if (!path.params().isEmpty()) {
            if (!session.esmtp() || !path.paramsWellFormed()) {
                return usage.now();
            }
            return SmtpReply.of(555, "5.5.4", "RCPT TO parameters not recognized or not implemented").now();
        }
        // RFC 5321 4.5.1: a bare "postmaster" is this host's postmaster; spool it routable, as Postfix does
        boolean barePostmaster = path.address().equalsIgnoreCase("postmaster");
        String address = barePostmaster ? "postmaster@" + session.params().hostname() : path.address();
        if (!barePostmaster) {
            switch (MailboxSyntax.check(address, session.smtputf8())) {
                case BAD_SYNTAX -> {
                    return Replies.BAD_RECIPIENT.now();
                }
                case NEEDS_SMTPUTF8 -> {
                    return Replies.NEEDS_SMTPUTF8.now();
                }
                case OK -> { }
            }
        }
        if (session.recipientCount() >= session.params().maxRecipientsPerMessage()) {
            return SmtpReply.of(452, "4.5.3", "too many recipients").now();
        }
        if (session.params().relayHosts().contains(session.peer().getAddress()) || session.relayFromSender()) {
            return rcptEvent(session, address);
        }
        String domain = PathArgument.domainOf(address);
        return session.services().relayPolicy().relayAllowed(domain, session.receptionContext())
                .thenCompose(allowed -> Boolean.TRUE.equals(allowed) ? rcptEvent(session, address)
                        : SmtpReply.of(550, "5.7.1", "relaying to <" + address + "> not permitted").now())
                .exceptionally(error -> SmtpReply.of(451, "4.3.0", "relay check failed, try again later"));
    }

    /** The recipient passed every check of ours: the policy's {@code smtp_server_rcpt_to} has the last word. */
    private static CompletionStage<SmtpReply> rcptEvent(SmtpSession session, String address) {
        return EventReplies.after(session.services().events().rcptTo(address, session.meta()), "smtp_server_rcpt_to",
                session, value -> {
                    // perhaps off the event loop, but safe: the framer is paused until this reply is written
                    session.addRecipient(address);
                    return SmtpReply.of(250, "2.1.5", "OK");
                });
    }
}
