package dev.sluice.mta.ingress.smtp;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/** Splits a command line into verb and argument and hands it to the handler of that verb. */
public final class CommandDispatcher {
    private final Map<String, CommandHandler> handlers = new HashMap<>();
    private final AuthCommand auth;

    public CommandDispatcher(List<CommandHandler> handlerList) {
        for (CommandHandler h : handlerList) {
            for (String verb : h.verbs()) {
                if (handlers.put(verb, h) != null) {
                    throw new IllegalArgumentException("two handlers for " + verb);
                }
            }
        }
        auth = handlers.get("AUTH") instanceof AuthCommand a ? a : null;
    }

    /** The standard set of verbs; STARTTLS (and AUTH, which needs it) only when the listener has a TLS identity. */
    public static CommandDispatcher standard(boolean tlsAvailable) {
        List<CommandHandler> list = new java.util.ArrayList<>(List.of(new HeloCommand(tlsAvailable), new MailCommand(),
                new RcptCommand(), new DataCommand(), new SimpleCommands.Rset(), new SimpleCommands.Noop(),
                new SimpleCommands.Quit(), new SimpleCommands.Vrfy(), new SimpleCommands.Expn(), new HelpCommand()));
        if (tlsAvailable) {
            list.add(new StartTlsCommand());
            list.add(new AuthCommand());
        }
        return new CommandDispatcher(list);
    }

    public CompletionStage<SmtpReply> dispatch(SmtpSession session, byte[] rawLine) {
        boolean authResponse = auth != null && session.awaitingAuthResponse();
        session.awaitAuthResponse(false);
        String line;
        try {
            line = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(rawLine)).toString();
        } catch (CharacterCodingException e) {
            return Replies.BAD_ENCODING.now();
        }
        if (authResponse) {
            return auth.onResponse(session, line); // the client's answer to our 334, not a command
        }
        if (line.isBlank() || hasControlCharacter(line)) {
            return Replies.BAD_SYNTAX.now();
        }
        int space = line.indexOf(' ');
        String verb = (space < 0 ? line : line.substring(0, space)).toUpperCase(Locale.ROOT);
        String argument = space < 0 ? "" : line.substring(space + 1);
        CommandHandler handler = handlers.get(verb);
        if (handler == null) {
            String shown = verb.length() > 32 ? verb.substring(0, 32) + "..." : verb;
            return SmtpReply.of(500, "5.5.1", "Error: command \"" + shown.replaceAll("[^\\x20-\\x7e]", "?")
                    + "\" not recognized").now();
        }
        return handler.onCommand(session, verb, argument);
    }

    /**
     * NUL, CR and the other C0/C1 controls (and DEL) have no place in a command line; a tab is let through, as
     * Postfix's tokenizer takes it for a space. Refused before any handler sees the line, so that no name with a
     * NUL in it reaches the Received header, the log or the policy.
     */
    static boolean hasControlCharacter(String line) {
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (Character.isISOControl(c) && c != '\t') {
                return true;
            }
        }
        return false;
    }
}
