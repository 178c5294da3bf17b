package dev.sluice.mta.ingress.smtp;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Handles one or more SMTP verbs (one small class per verb, as in Apache James' smtp core). A handler checks the
 * sequence and syntax, changes the session, and answers; the answer may come later (relay policy), in which case
 * pipelined commands wait behind it.
 */
public interface CommandHandler {

    /** Upper-case verbs this handler answers. */
    List<String> verbs();

    /**
     * @param verb     the upper-cased verb
     * @param argument what followed the verb and one space, "" when nothing did
     */
    CompletionStage<SmtpReply> onCommand(SmtpSession session, String verb, String argument);
}
