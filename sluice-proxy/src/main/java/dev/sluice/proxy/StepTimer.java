package dev.sluice.proxy;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One pending deadline for the current handshake step; re-arming replaces it. Event-loop confined.
 *
 * <p>A session arms three steps (greeting, request, CONNECT) in well under its timeout, so re-arming does not
 * reschedule: it moves the deadline and the action, and the one scheduled task, when it fires early, waits again
 * for what is left. One schedule and one cancel per session instead of three of each.
 */
final class StepTimer {
    private final EventExecutor executor;
    private final Duration timeout;
    private final long timeoutNanos;
    private ScheduledFuture<?> pending;
    private Runnable onTimeout;
    private long deadline;

    StepTimer(EventExecutor executor, Duration timeout) {
        this.executor = executor;
        this.timeout = timeout;
        this.timeoutNanos = timeout.toNanos();
    }

    void arm(Runnable onTimeout) {
        this.onTimeout = onTimeout;
        deadline = executor.ticker().nanoTime() + timeoutNanos;
        if (pending == null) {
            pending = executor.schedule(this::fire, timeoutNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void fire() {
        pending = null;
        Runnable action = onTimeout;
        if (action == null) {
            return;
        }
        long left = deadline - executor.ticker().nanoTime();
        if (left > 0) {
            pending = executor.schedule(this::fire, left, TimeUnit.NANOSECONDS);
            return;
        }
        onTimeout = null;
        action.run();
    }

    void cancel() {
        onTimeout = null;
        if (pending != null) {
            pending.cancel(false);
            pending = null;
        }
    }

    Duration timeout() {
        return timeout;
    }
}
