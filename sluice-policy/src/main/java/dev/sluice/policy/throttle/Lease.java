package dev.sluice.policy.throttle;

import java.util.concurrent.ScheduledFuture;

/**
 * One connection's place under a connection limit shared through Redis (or, while Redis is away, under this node's
 * share of it). Its holder renews it while it lives ({@link Throttles} does, every third of the lease duration) and
 * releases it when the connection closes; a holder that dies without releasing loses it at expiry.
 */
public final class Lease {
    private final Throttles owner;
    final String name;
    final String id;
    final long limit;
    /** Null for a lease counted on this node only. */
    final RedisThrottles redis;
    volatile ScheduledFuture<?> renewal;
    private volatile boolean lost;
    private volatile boolean released;

    Lease(Throttles owner, String name, String id, long limit, RedisThrottles redis) {
        this.owner = owner;
        this.name = name;
        this.id = id;
        this.limit = limit;
        this.redis = redis;
    }

    /** The limit's name (the sorted set's key in Redis). */
    public String name() {
        return name;
    }

    /** True once a renewal found the place taken by others (Redis lost it, e.g. restarted empty, and the limit is full). */
    public boolean lost() {
        return lost;
    }

    void markLost() {
        lost = true;
    }

    boolean isReleased() {
        return released;
    }

    /** Gives the place back (idempotent). */
    public void release() {
        if (released) return;
        released = true;
        owner.release(this);
    }
}
