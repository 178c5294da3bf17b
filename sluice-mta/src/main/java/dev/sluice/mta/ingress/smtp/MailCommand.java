package dev.sluice.mta.ingress.smtp;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * MAIL FROM: starts a transaction after checking admission, the per-connection limit and SIZE/BODY/SMTPUTF8, and
 * after the policy's {@code smtp_server_mail_from(sender, conn_meta)} passed.
 */
final class MailCommand implements CommandHandler {

    @Override
    public List<String> verbs() {
        return List.of("MAIL");
    }

    @Override
    public CompletionStage<SmtpReply> onCommand(SmtpSession session, String verb, String argument) {
        if (session.heloName() == null) {
            return Replies.SEND_HELO_FIRST.now();
        }
        if (session.inTransaction()) {
            return SmtpReply.of(503, "5.5.1", "Error: nested MAIL command").now();
        }
        SmtpReply usage = Replies.syntax(Replies.usage("MAIL", session.esmtp()));
        Optional<PathArgument> parsed = PathArgument.parse(argument, "FROM:");
        if (parsed.isEmpty()) {
            return usage.now();
        }
        PathArgument path = parsed.get();
        if (!path.params().isEmpty() && (!session.esmtp() || !path.paramsWellFormed())) {
            return usage.now();
        }
        // SMTPUTF8 decides which address syntax is allowed, so it is looked at first (as Postfix does)
        boolean smtputf8 = path.params().stream().anyMatch(p -> p.equalsIgnoreCase("SMTPUTF8"));
        if (!path.address().isEmpty()) {
            switch (MailboxSyntax.check(path.address(), smtputf8)) {
                case BAD_SYNTAX -> {
                    return Replies.BAD_SENDER.now();
                }
                case NEEDS_SMTPUTF8 -> {
                    return Replies.NEEDS_SMTPUTF8.now();
                }
                case OK -> { }
            }
        }
        String body = null;
        for (String param : path.params()) {
            int eq = param.indexOf('=');
            String key = (eq < 0 ? param : param.substring(0, eq)).toUpperCase(Locale.ROOT);
            String value = eq < 0 ? null : param.substring(eq + 1);
            switch (key) {
                case "SIZE" -> {
                    if (value == null || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
                        return usage.now();
                    }
                    // more digits than a long holds is still a size, only a very large one
                    if (value.length() > 18 || Long.parseLong(value) > session.params().maxMessageSize()) {
                        return SmtpReply.of(552, "5.3.4", "Message size exceeds fixed limit").now();
                    }
                }
                case "BODY" -> {
                    String v = value == null ? "" : value.toUpperCase(Locale.ROOT);
                    if (!v.equals("7BIT") && !v.equals("8BITMIME")) {
                        return SmtpReply.of(501, "5.5.4", "Error: BODY can only be one of 7BIT, 8BITMIME").now();
                    }
                    body = v;
                }
                case "SMTPUTF8" -> {
                    if (value != null) {
                        return SmtpReply.of(501, "5.5.4", "Error: SMTPUTF8 takes no arguments").now();
                    }
                    smtputf8 = true;
                }
                default -> {
                    return SmtpReply.of(555, "5.5.4", "MAIL FROM parameters not recognized or not implemented").now();
                }
            }
        }
        Optional<String> refused = session.services().admission().refuseReason();
        if (refused.isPresent()) {
            return SmtpReply.of(452, "4.3.1", refused.get()).now();
        }
        if (session.messagesStarted() >= session.params().maxMessagesPerConnection()) {
            return SmtpReply.of(451, "4.5.3", session.hostname() + " too many messages on this connection").now();
        }
        boolean utf8 = smtputf8;
        String bodyType = body;
        session.repin(); // the transaction runs the policy version current now, to its end
        return relayFrom(session, path.address()).thenCompose(relayFrom ->
                EventReplies.after(session.services().events().mailFrom(path.address(), session.meta()),
                        "smtp_server_mail_from", session, value -> {
                            session.startTransaction(path.address(), utf8, bodyType, relayFrom);
                            return SmtpReply.of(250, "2.1.0", "OK");
                        }));
    }

    /** relay_from: asked for the sender's domain, unless the client may relay anyway (relay_hosts) or there is none. */
    private static CompletionStage<Boolean> relayFrom(SmtpSession session, String sender) {
        String domain = sender.isEmpty() ? "" : PathArgument.domainOf(sender);
        if (domain.isEmpty() || session.params().relayHosts().contains(session.peer().getAddress())) {
            return CompletableFuture.completedFuture(false);
        }
        return session.services().relayPolicy().relayFromAllowed(domain, session.receptionContext())
                .exceptionally(error -> false);
    }
}
