package dev.sluice.mta.dispatch;

import dev.sluice.egress.smtp.DeliveryResult;
import dev.sluice.policy.egress.EgressSource;
import dev.sluice.policy.egress.ProxyProtocol;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.List;

/**
 * KumoMTA's delivery metrics, with its names and its {@code service} label: each value is kept twice, once
 * under {@code service="smtp_client"} (all ready queues) and once under
 * {@code service="smtp_client:<source>-><site>"} (one ready queue). Counters get the client's {@code _total}
 * suffix, as every Sluice counter. Sluice adds the same outcomes and connections per forward proxy
 * ({@code egress_proxy_*{proxy="host:port", protocol="socks5"|"haproxy"}}), since several sources usually share
 * one proxy host and a sick proxy shows there first; direct sources have no proxy series. Register once per
 * registry.
 */
public final class DispatchMetrics {
    public static final String SERVICE = "smtp_client";

    private final Gauge connections;
    private final Counter connectionsEver;
    private final Gauge ready;
    private final Counter readyFull;
    private final Counter delivered;
    private final Counter transfail;
    private final Counter fail;
    private final Counter proxyOutcomes;
    private final Gauge proxyConnections;

    public DispatchMetrics(PrometheusRegistry registry) {
        connections = Gauge.builder().name("connection_count").help("number of active connections")
                .labelNames("service").register(registry);
        connectionsEver = Counter.builder().name("total_connection_count")
                .help("total number of active connections ever made").labelNames("service").register(registry);
        ready = Gauge.builder().name("ready_count").help("number of messages in the ready queue")
                .labelNames("service").register(registry);
        readyFull = Counter.builder().name("ready_full")
                .help("number of times a message could not fit in the ready queue").labelNames("service").register(registry);
        delivered = Counter.builder().name("total_messages_delivered").help("total number of messages ever delivered")
                .labelNames("service").register(registry);
        transfail = Counter.builder().name("total_messages_transfail")
                .help("total number of message delivery attempts that transiently failed").labelNames("service").register(registry);
        fail = Counter.builder().name("total_messages_fail")
                .help("total number of message delivery attempts that permanently failed").labelNames("service").register(registry);
        proxyOutcomes = Counter.builder().name("egress_proxy_messages")
                .help("delivery attempts through a forward proxy, by result (delivered, transfail, fail)")
                .labelNames("proxy", "protocol", "result").register(registry);
        proxyConnections = Gauge.builder().name("egress_proxy_connection_count")
                .help("SMTP connections open through a forward proxy").labelNames("proxy", "protocol").register(registry);
    }

    /** The proxy labels (server, protocol) of a source, or null for a direct one. */
    static String[] proxyLabels(EgressSource source) {
        return switch (source.protocol()) {
            case ProxyProtocol.Socks5 s -> new String[] {s.server().toString(), s.kind()};
            case ProxyProtocol.HaProxy h -> new String[] {h.server().toString(), h.kind()};
            case ProxyProtocol.Direct d -> null;
        };
    }

    /** The service label of one ready queue. */
    public static String service(String source, String site) {
        return SERVICE + ":" + source + "->" + site;
    }

    void connectionOpened(String service, String[] proxy) {
        if (proxy != null) proxyConnections.labelValues(proxy).inc();
        connections.labelValues(SERVICE).inc();
        connections.labelValues(service).inc();
        connectionsEver.labelValues(SERVICE).inc();
        connectionsEver.labelValues(service).inc();
    }

    void connectionClosed(String service, String[] proxy) {
        if (proxy != null) proxyConnections.labelValues(proxy).dec();
        connections.labelValues(SERVICE).dec();
        connections.labelValues(service).dec();
    }

    void readyChanged(String service, int delta) {
        if (delta == 0) return;
        ready.labelValues(SERVICE).inc(delta);
        ready.labelValues(service).inc(delta);
    }

    void readyFull(String service) {
        readyFull.labelValues(SERVICE).inc();
        readyFull.labelValues(service).inc();
    }

    void outcome(String service, String[] proxy, DeliveryResult result) {
        Counter c = switch (result) {
            case DeliveryResult.Delivered d -> delivered;
            case DeliveryResult.Transient t -> transfail;
            case DeliveryResult.Permanent p -> fail;
        };
        c.labelValues(SERVICE).inc();
        c.labelValues(service).inc();
        if (proxy != null) proxyOutcomes.labelValues(proxy[0], proxy[1], resultLabel(result)).inc();
    }

    private static String resultLabel(DeliveryResult result) {
        return switch (result) {
            case DeliveryResult.Delivered d -> "delivered";
            case DeliveryResult.Transient t -> "transfail";
            case DeliveryResult.Permanent p -> "fail";
        };
    }

    /** Drops the series of one ready queue (reaped); the all-queues and per-proxy series stay. */
    void forget(String service) {
        for (var m : List.of(connections, connectionsEver, ready, readyFull, delivered, transfail, fail)) {
            m.remove(service);
        }
    }

    // read access for tests and the status command

    public double connections(String service) {
        return connections.labelValues(service).get();
    }

    public double readyCount(String service) {
        return ready.labelValues(service).get();
    }

    public double delivered(String service) {
        return delivered.labelValues(service).get();
    }

    public double transientFailures(String service) {
        return transfail.labelValues(service).get();
    }

    public double permanentFailures(String service) {
        return fail.labelValues(service).get();
    }

    /** Attempts through {@code proxy} ("host:port") that came to {@code result}: delivered, transfail or fail. */
    public double proxyOutcomes(String proxy, String protocol, String result) {
        return proxyOutcomes.labelValues(proxy, protocol, result).get();
    }

    public double proxyConnections(String proxy, String protocol) {
        return proxyConnections.labelValues(proxy, protocol).get();
    }

    public double connectionsEver(String service) {
        return connectionsEver.labelValues(service).get();
    }
}
