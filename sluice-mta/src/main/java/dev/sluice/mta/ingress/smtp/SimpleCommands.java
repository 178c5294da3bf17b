package dev.sluice.mta.ingress.smtp;

import java.util.List;
import java.util.concurrent.CompletionStage;

/** The small verbs: RSET, NOOP, QUIT, VRFY, EXPN. One handler class each, grouped in one file. */
final class SimpleCommands {
    private SimpleCommands() {}

    /** RSET: drops the transaction, keeps HELO. */
    static final class Rset implements CommandHandler {
        @Override
        public List<String> verbs() {
            return List.of("RSET");
        }

        @Override
        public CompletionStage<SmtpReply> onCommand(SmtpSession session, String verb, String argument) {
            if (!argument.isBlank()) {
                return Replies.syntax("RSET").now();
            }
            session.resetTransaction();
            session.repin(); // the transaction's version is let go
            return Replies.OK.now();
        }
    }

    /** NOOP: RFC 5321 4.1.1.9 allows (and says to ignore) an argument. */
    static final class Noop implements CommandHandler {
        @Override
        public List<String> verbs() {
            return List.of("NOOP");
        }

        @Override
        public CompletionStage<SmtpReply> onCommand(SmtpSession session, String verb, String argument) {
            return Replies.OK.now();
        }
    }

    /** QUIT: 221 and close. */
    static final class Quit implements CommandHandler {
        @Override
        public List<String> verbs() {
            return List.of("QUIT");
        }

        @Override
        public CompletionStage<SmtpReply> onCommand(SmtpSession session, String verb, String argument) {
            if (!argument.isBlank()) {
                return Replies.syntax("QUIT").now();
            }
            return SmtpReply.of(221, "2.0.0", session.hostname() + " Bye").then(SmtpReply.Action.CLOSE).now();
        }
    }

    /** VRFY: never reveals mailboxes (252), but checks the syntax. */
    static final class Vrfy implements CommandHandler {
        @Override
        public List<String> verbs() {
            return List.of("VRFY");
        }

        @Override
        public CompletionStage<SmtpReply> onCommand(SmtpSession session, String verb, String argument) {
            String arg = argument.strip();
            if (arg.isEmpty()) {
                return Replies.syntax("VRFY <address>").now();
            }
            String address = arg.startsWith("<") && arg.endsWith(">") ? arg.substring(1, arg.length() - 1) : arg;
            if (address.contains("@") && !PathArgument.isMailbox(address)) {
                // the argument is echoed printable and short: a CR or control byte must not reach the reply line
                String shown = arg.length() > 64 ? arg.substring(0, 64) + "..." : arg;
                return SmtpReply.of(501, "5.1.3", "Could not VRFY " + shown.replaceAll("[^\\x20-\\x7e]", "?")).now();
            }
            return SmtpReply.of(252, "2.5.2", "Cannot VRFY user, but will accept message and attempt delivery").now();
        }
    }

    /** EXPN: mailing lists are not expanded. */
    static final class Expn implements CommandHandler {
        @Override
        public List<String> verbs() {
            return List.of("EXPN");
        }

        @Override
        public CompletionStage<SmtpReply> onCommand(SmtpSession session, String verb, String argument) {
            return SmtpReply.of(502, "5.5.1", "EXPN not implemented").now();
        }
    }
}
