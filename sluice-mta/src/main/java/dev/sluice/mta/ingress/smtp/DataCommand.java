package dev.sluice.mta.ingress.smtp;

import java.util.List;
import java.util.concurrent.CompletionStage;

/** DATA: with a sender and at least one recipient, answers 354 and switches the framer to message data. */
final class DataCommand implements CommandHandler {

    @Override
    public List<String> verbs() {
        return List.of("DATA");
    }

    @Override
    public CompletionStage<SmtpReply> onCommand(SmtpSession session, String verb, String argument) {
        if (session.heloName() == null) {
            return Replies.SEND_HELO_FIRST.now();
        }
        if (!argument.isBlank()) {
            return Replies.syntax("DATA").now();
        }
        if (!session.inTransaction()) {
            return Replies.NEED_MAIL.now();
        }
        if (session.recipientCount() == 0) {
            return Replies.NEED_RCPT.now();
        }
        return SmtpReply.of(354, null, "End data with <CR><LF>.<CR><LF>").then(SmtpReply.Action.START_DATA).now();
    }
}
