package dev.sluice.proxy;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.GaugeDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The KumoProxy {@code proxy_*} metrics plus relay-path byte counters. Counter names are registered
 * without {@code _total}; the Prometheus client appends it on exposition.
 */
public final class ProxyMetrics {
    final Counter accepted;
    final Gauge active;
    final Counter completed;
    final Counter failed;
    final Counter bytesClientToDest;
    final Counter bytesDestToClient;
    final Counter outbound;
    final Counter tlsFailures;
    final Counter relayBytes;
    final Counter sourceSessions;
    final Counter sourceRefusals;
    private final ConcurrentMap<String, OfListener> byListener = new ConcurrentHashMap<>();

    public ProxyMetrics(PrometheusRegistry registry) {
        accepted = Counter.builder().name("proxy_connections_accepted")
                .help("SOCKS sessions accepted (after the TLS handshake on TLS listeners)").labelNames("listener").register(registry);
        active = Gauge.builder().name("proxy_active_connections")
                .help("SOCKS sessions in progress").labelNames("listener").register(registry);
        completed = Counter.builder().name("proxy_connections_completed")
                .help("Sessions that ended cleanly, including ones refused with a SOCKS error reply").labelNames("listener").register(registry);
        failed = Counter.builder().name("proxy_connections_failed")
                .help("Sessions that failed: handshake, auth, handshake timeout, relay I/O error").labelNames("listener").register(registry);
        bytesClientToDest = Counter.builder().name("proxy_bytes_client_to_dest")
                .help("Bytes relayed from clients to destinations, added at session end").labelNames("listener").register(registry);
        bytesDestToClient = Counter.builder().name("proxy_bytes_dest_to_client")
                .help("Bytes relayed from destinations to clients, added at session end").labelNames("listener").register(registry);
        outbound = Counter.builder().name("proxy_outbound_connections")
                .help("CONNECT attempts, counted before connecting").labelNames("listener", "destination").register(registry);
        tlsFailures = Counter.builder().name("proxy_tls_handshake_failures")
                .help("TLS handshakes with clients that failed").labelNames("listener").register(registry);
        relayBytes = Counter.builder().name("proxy_relay_bytes")
                .help("Bytes relayed, by relay path (splice or copy) and direction")
                .labelNames("listener", "path", "direction").register(registry);
        sourceSessions = Counter.builder().name("proxy_source_sessions")
                .help("BINDs admitted, by BIND source address").labelNames("listener", "source").register(registry);
        sourceRefusals = Counter.builder().name("proxy_source_refusals")
                .help("BINDs refused by source_limits, by BIND source address and limit (max_sessions, max_session_rate)")
                .labelNames("listener", "source", "limit").register(registry);
    }

    /** The data points every session of listener {@code label} touches, looked up once per session instead of once per use. */
    OfListener of(String label) {
        return byListener.computeIfAbsent(label, OfListener::new);
    }

    /** One listener's per-session data points. */
    final class OfListener {
        final CounterDataPoint accepted;
        final GaugeDataPoint active;
        final CounterDataPoint completed;
        final CounterDataPoint failed;
        final CounterDataPoint bytesClientToDest;
        final CounterDataPoint bytesDestToClient;
        /** proxy_relay_bytes with path copy for each {@link Relay.Direction}, in its ordinal order. */
        final CounterDataPoint[] copied = new CounterDataPoint[Relay.Direction.values().length];
        private final String label;

        private OfListener(String label) {
            accepted = ProxyMetrics.this.accepted.labelValues(label);
            active = ProxyMetrics.this.active.labelValues(label);
            completed = ProxyMetrics.this.completed.labelValues(label);
            failed = ProxyMetrics.this.failed.labelValues(label);
            bytesClientToDest = ProxyMetrics.this.bytesClientToDest.labelValues(label);
            bytesDestToClient = ProxyMetrics.this.bytesDestToClient.labelValues(label);
            for (Relay.Direction d : Relay.Direction.values()) {
                copied[d.ordinal()] = relayBytes.labelValues(label, "copy", d.label);
            }
            this.label = label;
        }

        /** proxy_relay_bytes with path splice: looked up when used, so a listener that never splices shows no such series. */
        CounterDataPoint spliced(Relay.Direction d) {
            return relayBytes.labelValues(label, "splice", d.label);
        }
    }
}
