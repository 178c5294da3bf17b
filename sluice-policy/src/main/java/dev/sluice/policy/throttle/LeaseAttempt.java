package dev.sluice.policy.throttle;

import java.time.Duration;

/** The outcome of asking for a place under a connection limit. */
public sealed interface LeaseAttempt {
    /** The place is this connection's until released. */
    record Granted(Lease lease) implements LeaseAttempt {}

    /** Every place is taken; one may expire after {@code retryAfter} (others may release sooner). */
    record Full(Duration retryAfter) implements LeaseAttempt {}
}
