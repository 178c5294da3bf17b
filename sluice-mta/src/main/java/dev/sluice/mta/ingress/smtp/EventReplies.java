package dev.sluice.mta.ingress.smtp;

import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the outcome of an {@link SmtpEvents} event into the command's reply: a pass runs the command's own
 * continuation, {@code kumo.reject} answers exactly its code and text (421 also closes), and a failed handler
 * answers {@code 451 4.3.0 error in policy: file:line: reason} (logged) and the session goes on.
 */
final class EventReplies {
    private static final Logger log = LoggerFactory.getLogger(EventReplies.class);

    private EventReplies() {}

    /**
     * @param onPass the command's work once the event passed, with the handler's return value; runs on whichever
     *               thread completed the event (the framer is paused until the reply is written, so the session is
     *               not touched concurrently)
     */
    static CompletionStage<SmtpReply> after(CompletionStage<SmtpEvents.Outcome> event, String name, SmtpSession session,
                                            Function<Object, SmtpReply> onPass) {
        return after(event, name, session, onPass, Function.identity());
    }

    /** {@link #after}, for a command whose work on a pass is not a reply yet: a refusal's reply goes through onRefused. */
    static <T> CompletionStage<T> after(CompletionStage<SmtpEvents.Outcome> event, String name, SmtpSession session,
                                        Function<Object, T> onPass, Function<SmtpReply, T> onRefused) {
        return event.handle((outcome, error) -> {
            SmtpEvents.Outcome o = error != null ? new SmtpEvents.Outcome.Failed(String.valueOf(
                    error.getCause() != null ? error.getCause().getMessage() : error.getMessage())) : outcome;
            return switch (o) {
                case SmtpEvents.Outcome.Passed p -> onPass.apply(p.value());
                case SmtpEvents.Outcome.Rejected r -> {
                    log.info("{} on SMTP session {} from {} rejected by the policy: {} {}", name,
                            session.connectionId(), dev.sluice.net.IpLiterals.format(session.peer()), r.code(), r.text());
                    yield onRefused.apply(r.reply());
                }
                case SmtpEvents.Outcome.Failed f -> {
                    log.warn("{} on SMTP session {} from {} failed: {}", name, session.connectionId(), dev.sluice.net.IpLiterals.format(session.peer()),
                            f.reason());
                    yield onRefused.apply(failed(f.reason()));
                }
            };
        });
    }

    static SmtpReply failed(String reason) {
        return SmtpReply.of(451, "4.3.0", "error in policy: " + String.valueOf(reason).replaceAll("[\\r\\n]+", " "));
    }
}
