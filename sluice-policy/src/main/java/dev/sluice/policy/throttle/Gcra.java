package dev.sluice.policy.throttle;

import dev.sluice.policy.egress.ThrottleSpec;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The node-local throttle store: KumoMTA's generic cell rate algorithm over one theoretical arrival time (TAT) per
 * key, the same arithmetic as the Redis script of {@link RedisThrottles} (so a limit behaves alike whether shared or
 * not): each operation moves the TAT on by the emission interval ({@code period / limit}); it may go while the new
 * TAT is at most {@code burst} intervals ahead of now. A throttled operation changes nothing. Thread-safe.
 */
final class Gcra {
    private static final int PRUNE_ABOVE = 10_000;
    private final Map<String, Long> tats = new ConcurrentHashMap<>();

    /**
     * Counts {@code quantity} operations under {@code key} if the spec allows them now.
     *
     * @param share 1 for the spec's own rate; n for a 1/n share of it (each node's part while Redis is away)
     */
    ThrottleResult throttle(String key, ThrottleSpec spec, long quantity, long share, long nowNanos) {
        double interval = (double) spec.period().toNanos() / spec.limit() * share;
        long burst = Math.max(1, spec.burst() / share);
        double increment = interval * quantity;
        double burstOffset = interval * burst;
        ThrottleResult[] out = new ThrottleResult[1];
        tats.compute(key, (k, stored) -> {
            long tat = stored == null ? nowNanos : Math.max(stored, nowNanos);
            double newTat = tat + increment;
            double diff = nowNanos - (newTat - burstOffset);
            if (diff < 0) {
                long remaining = Math.max(0, (long) Math.floor((nowNanos - (tat - burstOffset)) / interval));
                out[0] = new ThrottleResult(true, burst, remaining, Duration.ofNanos(tat - nowNanos),
                        Duration.ofNanos((long) Math.ceil(-diff)));
                return stored;
            }
            out[0] = new ThrottleResult(false, burst, (long) Math.floor(diff / interval),
                    Duration.ofNanos((long) Math.ceil(newTat - nowNanos)), null);
            return (long) Math.ceil(newTat);
        });
        if (tats.size() > PRUNE_ABOVE) {
            tats.values().removeIf(tat -> tat < nowNanos); // back at full burst: the same as absent
        }
        return out[0];
    }

    /** Forgets {@code key} when it is back at full burst (the same as absent), else keeps it. */
    void forgetIfFull(String key, long nowNanos) {
        tats.computeIfPresent(key, (k, tat) -> tat < nowNanos ? null : tat);
    }
}
