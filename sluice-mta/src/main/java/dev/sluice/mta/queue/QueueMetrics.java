package dev.sluice.mta.queue;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The queue layer on {@code /metrics}: {@code scheduled_count} (messages waiting for their next attempt),
 * {@code dispatch_in_flight}, and {@code message_outcomes_total{type, source}} (Delivery, TransientFailure, Bounce,
 * Expiration per egress source: the split of a pool and the failures per source), and
 * {@code delay_due_to_throttle_insert_ready} (messages the policy's throttle_insert_ready_queue put off); and
 * KumoMTA's per-provider counters that {@code provider-summary} reads: {@code total_messages_delivered_by_provider},
 * {@code total_messages_transfail_by_provider}, {@code total_messages_fail_by_provider} ({@code provider}) and
 * their {@code _and_source} forms ({@code provider}, {@code pool}, {@code source}).
 */
public final class QueueMetrics {
    private final Counter outcomes;
    private final Counter throttledByPolicy;
    private final PrometheusRegistry registry;
    private final Counter[] byProvider = new Counter[3];
    private final Counter[] byProviderAndSource = new Counter[3];
    private static final String[] KINDS = {"delivered", "transfail", "fail"};

    public QueueMetrics(PrometheusRegistry registry) {
        this.registry = registry;
        outcomes = Counter.builder().name("message_outcomes_total")
                .help("Outcomes of delivery attempts and expiries, by record type and egress source")
                .labelNames("type", "source").register(registry);
        throttledByPolicy = Counter.builder().name("delay_due_to_throttle_insert_ready")
                .help("Messages that throttle_insert_ready_queue delayed (KumoMTA's name)").register(registry);
        for (int i = 0; i < KINDS.length; i++) {
            String what = switch (KINDS[i]) {
                case "delivered" -> "messages delivered";
                case "transfail" -> "delivery attempts that transiently failed";
                default -> "delivery attempts that permanently failed";
            };
            byProvider[i] = Counter.builder().name("total_messages_" + KINDS[i] + "_by_provider")
                    .help("total number of " + what + ", by provider").labelNames("provider").register(registry);
            byProviderAndSource[i] = Counter.builder().name("total_messages_" + KINDS[i] + "_by_provider_and_source")
                    .help("total number of " + what + ", by provider, pool and source")
                    .labelNames("provider", "pool", "source").register(registry);
        }
    }

    /** One delivery attempt's outcome under its provider: 0 delivered, 1 transient failure, 2 permanent failure. */
    void providerOutcome(int kind, String provider, String pool, String source) {
        byProvider[kind].labelValues(provider).inc();
        byProviderAndSource[kind].labelValues(provider, pool == null ? "" : pool, source == null ? "" : source).inc();
    }

    void throttledByPolicy() {
        throttledByPolicy.inc();
    }

    void outcome(String type, String source) {
        outcomes.labelValues(type, source == null ? "" : source).inc();
    }

    /** Publishes the queue sizes of {@code queues}. */
    void watch(ScheduledQueues queues) {
        GaugeWithCallback.builder().name("scheduled_count").help("Messages waiting in the scheduled queues")
                .callback(cb -> cb.call(queues.scheduled())).register(registry);
        GaugeWithCallback.builder().name("dispatch_in_flight").help("Messages handed to dispatch and not yet back")
                .callback(cb -> cb.call(queues.inFlight())).register(registry);
    }
}
