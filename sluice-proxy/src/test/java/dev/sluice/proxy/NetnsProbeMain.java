package dev.sluice.proxy;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * Run inside a network namespace by {@link UnreachableRoutesTest}: starts the proxy on the namespace's loopback,
 * asks it to CONNECT to each address given, and prints "address reply" lines. No packet leaves the namespace.
 */
public final class NetnsProbeMain {
    public static void main(String[] args) throws Exception {
        ProxyServer server = new ProxyServer(List.of(ProxyListenerConfig.builder(new InetSocketAddress("127.0.0.1", 0))
                .timeout(Duration.ofSeconds(5)).build()), null, new PrometheusRegistry());
        InetSocketAddress proxy = server.start().get(0);
        try {
            for (String a : args) {
                try (var c = new Socks5TestClient(proxy)) {
                    c.greet(0);
                    var r = c.request(Socks5TestClient.CONNECT, new InetSocketAddress(a, 25));
                    System.out.println("REPLY " + a + " " + r.rep());
                }
            }
        } finally {
            server.shutdown(Duration.ZERO);
        }
    }
}
