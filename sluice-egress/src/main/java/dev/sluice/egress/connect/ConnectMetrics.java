package dev.sluice.egress.connect;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * KumoMTA's {@code bind_failures} and {@code proxy_connection_failures} counters (exposed with the
 * client's {@code _total} suffix, as every Sluice counter). Register once per registry.
 */
public final class ConnectMetrics {
    final Counter bindFailures;
    final Counter proxyConnectionFailures;

    public ConnectMetrics(PrometheusRegistry registry) {
        bindFailures = Counter.builder().name("bind_failures")
                .help("How many times that directly binding a source address has failed").register(registry);
        proxyConnectionFailures = Counter.builder().name("proxy_connection_failures")
                .help("How many times a TCP connection attempt to a proxy server has failed").register(registry);
    }

    public long bindFailures() {
        return (long) bindFailures.get();
    }

    public long proxyConnectionFailures() {
        return (long) proxyConnectionFailures.get();
    }
}
