package dev.sluice.proxy;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** One pending deadline for the current handshake step; re-arming replaces it. Event-loop confined. */
final class StepTimer {
    private final EventExecutor executor;
    private final Duration timeout;
    private ScheduledFuture<?> pending;

    StepTimer(EventExecutor executor, Duration timeout) {
        this.executor = executor;
        this.timeout = timeout;
    }

    void arm(Runnable onTimeout) {
        cancel();
        pending = executor.schedule(onTimeout, timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    void cancel() {
        if (pending != null) {
            pending.cancel(false);
            pending = null;
        }
    }

    Duration timeout() {
        return timeout;
    }
}
