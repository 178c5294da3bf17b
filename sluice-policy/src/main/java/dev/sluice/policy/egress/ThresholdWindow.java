package dev.sluice.policy.egress;

import java.time.Duration;

/**
 * Counts failures in a rolling window as KumoMTA's {@code Threshold} trigger does: about 60 buckets of
 * {@code ceil(period / 60)} seconds (at least 1 s); {@link #record} says whether the failures within
 * the period reached the threshold. Thread-safe.
 */
public final class ThresholdWindow {
    private final long threshold;
    private final long bucketNanos;
    private final long[] counts;
    private final long[] bucketIds;

    public ThresholdWindow(long threshold, Duration period) {
        if (threshold < 1) {
            throw new IllegalArgumentException("threshold must be at least 1");
        }
        long periodSeconds = Math.max(1, (period.toMillis() + 999) / 1000);
        long bucketSeconds = Math.max(1, (periodSeconds + 59) / 60);
        this.threshold = threshold;
        this.bucketNanos = bucketSeconds * 1_000_000_000L;
        int buckets = (int) Math.max(1, (periodSeconds + bucketSeconds - 1) / bucketSeconds);
        this.counts = new long[buckets];
        this.bucketIds = new long[buckets];
        java.util.Arrays.fill(bucketIds, Long.MIN_VALUE);
    }

    /**
     * Records one failure at {@code nowNanos} (any monotonic clock, e.g. {@link System#nanoTime()}) and
     * returns true when the failures within the window, this one included, reach the threshold.
     */
    public synchronized boolean record(long nowNanos) {
        long id = Math.floorDiv(nowNanos, bucketNanos);
        int slot = (int) Math.floorMod(id, (long) counts.length);
        if (bucketIds[slot] != id) {
            bucketIds[slot] = id;
            counts[slot] = 0;
        }
        counts[slot]++;
        return countInBuckets(id) >= threshold;
    }

    /** Failures within the window ending at {@code nowNanos}. */
    public synchronized long count(long nowNanos) {
        return countInBuckets(Math.floorDiv(nowNanos, bucketNanos));
    }

    private long countInBuckets(long currentId) {
        long total = 0;
        for (int i = 0; i < counts.length; i++) {
            if (bucketIds[i] != Long.MIN_VALUE && currentId - bucketIds[i] < counts.length && bucketIds[i] <= currentId) {
                total += counts[i];
            }
        }
        return total;
    }

    /** Forgets every failure (e.g. after the source was suspended). */
    public synchronized void reset() {
        java.util.Arrays.fill(bucketIds, Long.MIN_VALUE);
        java.util.Arrays.fill(counts, 0);
    }
}
