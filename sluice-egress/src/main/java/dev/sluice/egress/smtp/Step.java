package dev.sluice.egress.smtp;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/** A command's reply, or (broken = true) the synthesized response for its timeout or lost connection. */
record Step(SmtpResponse response, boolean broken) {

    boolean positive() {
        return !broken && response.isPositive();
    }

    /** Never fails: a step failure becomes a broken Step. */
    static CompletableFuture<Step> of(CompletableFuture<SmtpResponse> reply, String command) {
        return reply.handle((r, e) -> r != null ? new Step(r, false) : new Step(failureResponse(e, command), true));
    }

    static SmtpResponse failureResponse(Throwable e, String command) {
        Throwable t = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (t instanceof SmtpStepFailure f) return f.response();
        return SyntheticResponses.connectionLost(command, t);
    }
}
