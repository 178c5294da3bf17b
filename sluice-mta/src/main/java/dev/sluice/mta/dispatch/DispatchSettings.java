package dev.sluice.mta.dispatch;

import java.time.Duration;
import java.util.Objects;

/**
 * Dispatcher settings that the egress path does not carry (yet): {@code max_ready} is parsed but ignored by
 * {@code EgressPath}, so it is set here for every ready queue.
 *
 * @param maxReady              messages a ready queue holds waiting for a connection; beyond that a submission
 *                              completes at once as a transient failure (KumoMTA's max_ready, 1024)
 * @param connectFailureBackoff after every destination of the plan failed to connect, how long the ready queue
 *                              opens no new connection (messages submitted meanwhile wait)
 * @param reapAfter             how long a ready queue stays with nothing waiting and no connection before it is reaped
 *                              (with its metrics series and its own rate gates) and made anew for the next message:
 *                              KumoMTA's ready queue age-out, 10 minutes
 */
public record DispatchSettings(int maxReady, Duration connectFailureBackoff, Duration reapAfter) {
    public static final Duration DEFAULT_REAP_AFTER = Duration.ofMinutes(10);
    public static final DispatchSettings DEFAULT = new DispatchSettings(1024, Duration.ofSeconds(5), DEFAULT_REAP_AFTER);

    public DispatchSettings(int maxReady, Duration connectFailureBackoff) {
        this(maxReady, connectFailureBackoff, DEFAULT_REAP_AFTER);
    }

    public DispatchSettings {
        Objects.requireNonNull(reapAfter, "reapAfter");
        if (reapAfter.isNegative()) throw new IllegalArgumentException("negative reapAfter");
        if (maxReady < 1) throw new IllegalArgumentException("maxReady must be at least 1");
        Objects.requireNonNull(connectFailureBackoff, "connectFailureBackoff");
        if (connectFailureBackoff.isNegative()) throw new IllegalArgumentException("negative connectFailureBackoff");
    }
}
