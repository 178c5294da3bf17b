package dev.sluice.mta.ingress;

import java.util.Optional;

/**
 * Whether the MTA can take a new message now (e.g. the spool's free-space monitor). The ESMTP server asks at
 * every MAIL FROM and refuses with {@code 452 4.3.1 <reason>}; the HTTP API answers 503 with the reason on
 * {@code /api/inject/v1} and {@code /api/check-liveness/v1}.
 */
@FunctionalInterface
public interface Admission {
    Admission ALWAYS = Optional::empty;

    /** Empty when new messages are welcome, else why not (shown to the client). */
    Optional<String> refuseReason();

    /** Both checks: this one's refusal if any, else {@code other}'s. */
    default Admission and(Admission other) {
        return () -> {
            Optional<String> reason = refuseReason();
            return reason.isPresent() ? reason : other.refuseReason();
        };
    }
}
