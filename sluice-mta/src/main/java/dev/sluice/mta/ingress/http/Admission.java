package dev.sluice.mta.ingress.http;

import java.util.Optional;

/**
 * Whether the MTA can take new messages now. The spool's free-space monitor implements it; when it refuses,
 * {@code /api/check-liveness/v1} and {@code /api/inject/v1} answer 503 with the reason.
 */
@FunctionalInterface
public interface Admission {

    /** Always able to receive. */
    Admission ALWAYS = Optional::empty;

    /** Empty when messages may come in, otherwise why not (e.g. "spool below min_free_space: 1 GB free"). */
    Optional<String> refuseReason();
}
