package dev.sluice.bench.egress;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/** What the connections of one phase did, counted as they go (from many event loops). */
final class PhaseStats {
    private final AtomicLong remaining;
    private final long deadlineNanos;
    final AtomicLong delivered = new AtomicLong();
    final AtomicLong transientFailures = new AtomicLong();
    final AtomicLong permanentFailures = new AtomicLong();
    final AtomicLong connectFailures = new AtomicLong();
    final AtomicLong openFailures = new AtomicLong();
    final AtomicLong connections = new AtomicLong();
    final AtomicLong bytes = new AtomicLong();
    private final AtomicReference<String> firstError = new AtomicReference<>();
    private volatile boolean timedOut;

    PhaseStats(long messages, long deadlineNanos) {
        this.remaining = new AtomicLong(messages);
        this.deadlineNanos = deadlineNanos;
    }

    /** Takes the right to send one more message; false when the count is reached or time is up. */
    boolean claim() {
        if (System.nanoTime() - deadlineNanos > 0) {
            timedOut = true;
            return false;
        }
        return remaining.getAndDecrement() > 0;
    }

    boolean moreToSend() {
        return remaining.get() > 0 && System.nanoTime() - deadlineNanos <= 0;
    }

    void error(String text) {
        firstError.compareAndSet(null, text);
    }

    String firstError() {
        return firstError.get();
    }

    boolean timedOut() {
        return timedOut;
    }

    long errors() {
        return transientFailures.get() + permanentFailures.get() + connectFailures.get() + openFailures.get();
    }
}
