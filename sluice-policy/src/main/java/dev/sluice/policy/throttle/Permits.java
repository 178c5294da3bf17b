package dev.sluice.policy.throttle;

import dev.sluice.policy.egress.ThrottleSpec;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongConsumer;

/**
 * A rate throttle as the dispatcher uses it, without blocking: {@link #tryTake} answers at once from a node-local
 * decision, or, when the throttle is shared through Redis, starts one asynchronous check and calls every waiter back
 * when it is decided. A permit that a caller took but could not use (another throttle said no) goes back with
 * {@link #giveBack} and serves the next caller, so checking several throttles in a row wastes none of them.
 * Thread-safe; waiters are called on a Redis or timer thread and must not block.
 */
public final class Permits {
    /** {@link #tryTake}: the waiter will be called back. */
    public static final long PENDING = Long.MAX_VALUE;

    private final Throttles throttles;
    private final String name;
    private final ThrottleSpec spec;
    private final Set<LongConsumer> waiters = new LinkedHashSet<>();
    private int banked;
    private boolean inFlight;

    Permits(Throttles throttles, String name, ThrottleSpec spec) {
        this.throttles = throttles;
        this.name = name;
        this.spec = spec;
    }

    public String name() {
        return name;
    }

    ThrottleSpec spec() {
        return spec;
    }

    /**
     * Takes one permit: 0 when taken; {@link #PENDING} when a shared check is under way ({@code waiter} gets the
     * nanoseconds to wait before asking again, 0 when a permit is ready); else the nanoseconds until one may be there.
     */
    public long tryTake(LongConsumer waiter) {
        synchronized (this) {
            if (banked > 0) {
                banked--;
                return 0;
            }
        }
        if (!throttles.decidesRemotely(spec)) {
            ThrottleResult r = throttles.throttleHere(name, spec);
            return r.throttled() ? Math.max(1, r.retryAfter().toNanos()) : 0;
        }
        synchronized (this) {
            waiters.add(waiter);
            if (inFlight) return PENDING;
            inFlight = true;
        }
        throttles.throttleAsync(name, spec).whenComplete((r, error) -> {
            List<LongConsumer> wake;
            synchronized (this) {
                inFlight = false;
                wake = new ArrayList<>(waiters);
                waiters.clear();
                if (r != null && !r.throttled()) banked++;
            }
            long after = r == null ? Throttles.RETRY.toNanos() : r.throttled() ? Math.max(1, r.retryAfter().toNanos()) : 0;
            wake.forEach(w -> w.accept(after));
        });
        return PENDING;
    }

    /** A permit taken by {@link #tryTake} and not used. */
    public synchronized void giveBack() {
        banked++;
    }
}
