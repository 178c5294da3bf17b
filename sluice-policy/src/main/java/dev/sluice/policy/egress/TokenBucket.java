package dev.sluice.policy.egress;

/**
 * A rate such as {@code max_message_rate = '100/s'}: {@code limit} tokens per {@code period}, refilled
 * continuously, bursting up to {@code limit}. Thread-safe; callers pass the time so tests can drive it.
 */
public final class TokenBucket {
    private final double capacity;
    private final double perNano;
    private double tokens;
    private long last;

    public TokenBucket(ThrottleSpec spec, long nowNanos) {
        this.capacity = spec.limit();
        this.perNano = spec.limit() / (double) spec.period().toNanos();
        this.tokens = capacity;
        this.last = nowNanos;
    }

    /** Takes a token: 0 when one was available, else the nanoseconds until one will be (nothing taken). */
    public synchronized long take(long nowNanos) {
        long wait = peek(nowNanos);
        if (wait == 0) {
            tokens -= 1;
        }
        return wait;
    }

    /** 0 when a token is available now, else the nanoseconds until one will be; takes nothing. */
    public synchronized long peek(long nowNanos) {
        tokens = Math.min(capacity, tokens + (nowNanos - last) * perNano);
        last = nowNanos;
        return tokens >= 1 ? 0 : (long) Math.ceil((1 - tokens) / perNano);
    }
}
