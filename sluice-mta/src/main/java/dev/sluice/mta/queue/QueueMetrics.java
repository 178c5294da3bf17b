package dev.sluice.mta.queue;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The queue layer on {@code /metrics}: {@code scheduled_count} (messages waiting for their next attempt),
 * {@code dispatch_in_flight}, and {@code message_outcomes_total{type, source}} (Delivery, TransientFailure, Bounce,
 * Expiration per egress source: the split of a pool and the failures per source), and
 * {@code delay_due_to_throttle_insert_ready} (messages the policy's throttle_insert_ready_queue put off).
 */
public final class QueueMetrics {
    private final Counter outcomes;
    private final Counter throttledByPolicy;
    private final PrometheusRegistry registry;

    public QueueMetrics(PrometheusRegistry registry) {
        this.registry = registry;
        outcomes = Counter.builder().name("message_outcomes_total")
                .help("Outcomes of delivery attempts and expiries, by record type and egress source")
                .labelNames("type", "source").register(registry);
        throttledByPolicy = Counter.builder().name("delay_due_to_throttle_insert_ready")
                .help("Messages that throttle_insert_ready_queue delayed (KumoMTA's name)").register(registry);
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
