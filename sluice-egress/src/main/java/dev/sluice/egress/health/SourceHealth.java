package dev.sluice.egress.health;

import dev.sluice.policy.egress.SuspensionRule;
import dev.sluice.policy.egress.ThresholdWindow;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Process-local source health, as KumoMTA's {@code source_health}: every classified failure is counted;
 * a configured rule whose trigger fires suspends the source, and suspended sources are skipped by pool
 * selection and fail connects fast. Expired suspensions are cleared on the next look or by
 * {@link #reapExpired()} (call it periodically so the gauge drops without traffic).
 *
 * <p>Metrics: {@code egress_source_connection_failures_total{source,kind}},
 * {@code egress_source_health_suspensions_total{source,reason}}, {@code egress_source_health_suspended{source,reason}}.
 */
public final class SourceHealth {
    private static final Logger log = LoggerFactory.getLogger(SourceHealth.class);

    private final LongSupplier nanoTime;
    private final Counter failures;
    private final Counter suspensions;
    private final Gauge suspended;
    private final Map<String, Entry> active = new ConcurrentHashMap<>();
    private final Map<String, ThresholdWindow> windows = new ConcurrentHashMap<>();

    private record Entry(HealthEvent reason, long expiresNanos) {}

    public SourceHealth(PrometheusRegistry registry) {
        this(registry, System::nanoTime);
    }

    /** With a clock, for tests that step time. */
    public SourceHealth(PrometheusRegistry registry, LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        failures = Counter.builder().name("egress_source_connection_failures_total")
                .help("connection failures classified as Unplumbed or ProxyUnhealthy, per source")
                .labelNames("source", "kind").register(registry);
        suspensions = Counter.builder().name("egress_source_health_suspensions_total")
                .help("times a source entered auto-suspension (re-triggering an active suspension is not counted)")
                .labelNames("source", "reason").register(registry);
        suspended = Gauge.builder().name("egress_source_health_suspended")
                .help("1 while a source is auto-suspended for this reason")
                .labelNames("source", "reason").register(registry);
    }

    /**
     * Counts one classified failure and applies {@code rule} (null = count only).
     *
     * @return true if this failure suspended the source (or extended its suspension)
     */
    public boolean record(String source, HealthEvent event, SuspensionRule rule) {
        failures.labelValues(source, event.name()).inc();
        if (rule == null) return false;
        boolean fire = switch (rule.trigger()) {
            case SuspensionRule.Immediate i -> true;
            case SuspensionRule.Threshold t -> windows.computeIfAbsent(source + "\u0000" + event, k -> t.newWindow())
                    .record(nanoTime.getAsLong());
        };
        if (fire) suspend(source, event, rule.duration());
        return fire;
    }

    private void suspend(String source, HealthEvent reason, Duration duration) {
        long expires = nanoTime.getAsLong() + duration.toNanos();
        active.compute(source, (k, previous) -> {
            boolean live = previous != null && previous.expiresNanos - nanoTime.getAsLong() > 0;
            if (live && previous.reason == reason) {
                return new Entry(reason, Math.max(previous.expiresNanos, expires)); // extend, no metric change
            }
            if (previous != null) suspended.labelValues(source, previous.reason.name()).set(0);
            suspensions.labelValues(source, reason.name()).inc();
            suspended.labelValues(source, reason.name()).set(1);
            log.warn("egress source {} suspended for {} ({})", source, duration, reason);
            return new Entry(reason, expires);
        });
    }

    /** The active suspension of {@code source}, if any (an expired one is cleared here). */
    public Optional<Suspension> suspension(String source) {
        Entry e = active.get(source);
        if (e == null) return Optional.empty();
        long left = e.expiresNanos - nanoTime.getAsLong();
        if (left > 0) return Optional.of(new Suspension(source, e.reason, Duration.ofNanos(left)));
        clear(source, e);
        return Optional.empty();
    }

    public boolean isSuspended(String source) {
        return suspension(source).isPresent();
    }

    /** Clears expired suspensions and zeroes their gauges; returns how many were cleared. */
    public int reapExpired() {
        int n = 0;
        for (Iterator<Map.Entry<String, Entry>> it = active.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Entry> e = it.next();
            if (e.getValue().expiresNanos - nanoTime.getAsLong() <= 0 && clear(e.getKey(), e.getValue())) n++;
        }
        return n;
    }

    private boolean clear(String source, Entry expired) {
        if (active.remove(source, expired)) {
            suspended.labelValues(source, expired.reason.name()).set(0);
            log.info("egress source {} is no longer suspended ({})", source, expired.reason);
            return true;
        }
        return false;
    }
}
