package dev.sluice.egress.health;

import dev.sluice.policy.egress.SuspensionRule;

import static dev.sluice.egress.Metrics.value;
import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SourceHealthTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final SourceHealth health = new SourceHealth(registry, now::get);

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    @Test
    void failuresAreCountedWithoutARuleAndNothingIsSuspended() {
        health.record("ip-1", HealthEvent.Unplumbed, null);
        health.record("ip-1", HealthEvent.Unplumbed, null);
        assertThat(health.isSuspended("ip-1")).isFalse();
        assertThat(value(registry, "egress_source_connection_failures_total", "source", "ip-1", "kind", "Unplumbed")).isEqualTo(2);
        assertThat(value(registry, "egress_source_health_suspensions_total", "source", "ip-1", "reason", "Unplumbed")).isZero();
    }

    @Test
    void immediateRuleSuspendsForItsDurationThenClears() {
        health.record("ip-1", HealthEvent.ProxyUnhealthy, SuspensionRule.immediate(Duration.ofMinutes(5)));
        assertThat(health.suspension("ip-1")).hasValueSatisfying(s -> assertThat(s.reason()).isEqualTo(HealthEvent.ProxyUnhealthy));
        assertThat(value(registry, "egress_source_health_suspended", "source", "ip-1", "reason", "ProxyUnhealthy")).isEqualTo(1);
        assertThat(value(registry, "egress_source_health_suspensions_total", "source", "ip-1", "reason", "ProxyUnhealthy")).isEqualTo(1);

        // re-firing while active extends without counting a new suspension
        advance(Duration.ofMinutes(4));
        health.record("ip-1", HealthEvent.ProxyUnhealthy, SuspensionRule.immediate(Duration.ofMinutes(5)));
        assertThat(value(registry, "egress_source_health_suspensions_total", "source", "ip-1", "reason", "ProxyUnhealthy")).isEqualTo(1);
        advance(Duration.ofMinutes(2));
        assertThat(health.isSuspended("ip-1")).isTrue();

        advance(Duration.ofMinutes(4));
        assertThat(health.reapExpired()).isEqualTo(1);
        assertThat(health.isSuspended("ip-1")).isFalse();
        assertThat(value(registry, "egress_source_health_suspended", "source", "ip-1", "reason", "ProxyUnhealthy")).isZero();
    }

    @Test
    void thresholdFiresOnlyWithEnoughFailuresInsideThePeriod() {
        SuspensionRule rule = SuspensionRule.threshold(3, Duration.ofMinutes(1), Duration.ofMinutes(10));
        health.record("ip-2", HealthEvent.Unplumbed, rule);
        advance(Duration.ofSeconds(40));
        health.record("ip-2", HealthEvent.Unplumbed, rule);
        advance(Duration.ofSeconds(40)); // the first one has left the window
        health.record("ip-2", HealthEvent.Unplumbed, rule);
        assertThat(health.isSuspended("ip-2")).isFalse();
        advance(Duration.ofSeconds(5));
        health.record("ip-2", HealthEvent.Unplumbed, rule);
        assertThat(health.suspension("ip-2")).hasValueSatisfying(s -> assertThat(s.reason()).isEqualTo(HealthEvent.Unplumbed));
    }

    @Test
    void aDifferentReasonMovesTheGauge() {
        health.record("ip-3", HealthEvent.Unplumbed, SuspensionRule.immediate(Duration.ofMinutes(1)));
        health.record("ip-3", HealthEvent.ProxyUnhealthy, SuspensionRule.immediate(Duration.ofMinutes(1)));
        assertThat(value(registry, "egress_source_health_suspended", "source", "ip-3", "reason", "Unplumbed")).isZero();
        assertThat(value(registry, "egress_source_health_suspended", "source", "ip-3", "reason", "ProxyUnhealthy")).isEqualTo(1);
        assertThat(value(registry, "egress_source_health_suspensions_total", "source", "ip-3", "reason", "ProxyUnhealthy")).isEqualTo(1);
        assertThat(health.isSuspended("other")).isFalse();
    }
}
