package dev.sluice.mta.queue;

import dev.sluice.policy.egress.ThrottleSpec;

/**
 * {@code max_message_rate}: {@code limit} messages per {@code period}, refilled continuously, bursting up to
 * {@code limit}. Not thread-safe: used by the scheduler thread only.
 */
final class TokenBucket {
    private final double capacity;
    private final double perNano;
    private double tokens;
    private long last;

    TokenBucket(ThrottleSpec spec, long nowNanos) {
        this.capacity = spec.limit();
        this.perNano = spec.limit() / (double) spec.period().toNanos();
        this.tokens = capacity;
        this.last = nowNanos;
    }

    /** Takes a token; 0 when one was available, else the nanoseconds until one will be. */
    long take(long nowNanos) {
        tokens = Math.min(capacity, tokens + (nowNanos - last) * perNano);
        last = nowNanos;
        if (tokens >= 1) {
            tokens -= 1;
            return 0;
        }
        return (long) Math.ceil((1 - tokens) / perNano);
    }
}
