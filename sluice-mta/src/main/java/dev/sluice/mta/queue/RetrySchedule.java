package dev.sluice.mta.queue;

import dev.sluice.policy.egress.QueueConfig;
import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * KumoMTA's exponential back-off: after attempt n the next try is {@code retry_interval * 2^(n-1)}, capped at
 * {@code max_retry_interval}, with ±10% jitter so that a burst of failures does not retry in lock step.
 */
public final class RetrySchedule {
    private final DoubleSupplier random;

    /** @param random uniform in [0, 1) */
    public RetrySchedule(DoubleSupplier random) {
        this.random = random;
    }

    /** The delay before the attempt after {@code attemptsSoFar} (1 after the first failure). */
    public Duration delay(QueueConfig config, int attemptsSoFar) {
        return jitter(base(config, attemptsSoFar));
    }

    /** Without jitter. */
    public static Duration base(QueueConfig config, int attemptsSoFar) {
        int n = Math.max(1, attemptsSoFar);
        long baseMillis = config.retryInterval().toMillis();
        long cap = config.maxRetryInterval().map(Duration::toMillis).orElse(Long.MAX_VALUE);
        long millis = n - 1 >= 62 ? Long.MAX_VALUE : baseMillis;
        for (int i = 1; i < n && millis < cap; i++) {
            millis = millis > Long.MAX_VALUE / 2 ? Long.MAX_VALUE : millis * 2;
        }
        return Duration.ofMillis(Math.min(millis, cap));
    }

    private Duration jitter(Duration d) {
        double factor = 0.9 + 0.2 * random.getAsDouble();
        return Duration.ofMillis((long) (d.toMillis() * factor));
    }
}
