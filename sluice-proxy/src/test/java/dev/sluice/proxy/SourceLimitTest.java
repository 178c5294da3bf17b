package dev.sluice.proxy;

import static dev.sluice.proxy.Socks5TestClient.BIND;
import static dev.sluice.proxy.TestSupport.metric;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.net.CidrSet;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code source_limits} over real loopback sockets: BIND sources 127.0.0.x, refusals are reply 0x02. */
class SourceLimitTest {
    static final String PROXY_IP = "127.0.0.73";
    static final InetSocketAddress SOURCE = new InetSocketAddress("127.0.0.74", 0);
    static final InetSocketAddress OTHER_SOURCE = new InetSocketAddress("127.0.0.75", 0);

    final PrometheusRegistry registry = new PrometheusRegistry();
    final List<AutoCloseable> closeables = new ArrayList<>();
    ProxyServer server;
    InetSocketAddress proxy;
    String label;

    Authenticator alice = (u, p, meta) -> CompletableFuture.completedFuture(
            u.equals("alice") && p.equals("secret") ? AuthDecision.granted("alice") : AuthDecision.denied());

    void start(Authenticator auth, UnaryOperator<ProxyListenerConfig.Builder> cfg) throws Exception {
        var b = ProxyListenerConfig.builder(new InetSocketAddress(PROXY_IP, 0)).timeout(Duration.ofSeconds(30));
        server = new ProxyServer(List.of(cfg.apply(b).build()), auth, registry);
        proxy = server.start().get(0);
        label = PROXY_IP + ":" + proxy.getPort();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        if (server != null) {
            server.shutdown(Duration.ZERO);
        }
    }

    static SourceLimit limit(String cidr, Integer maxSessions, String rate) {
        return new SourceLimit(cidr, CidrSet.of(cidr), maxSessions, rate == null ? null : SessionRate.parse(rate));
    }

    /** A client and its BIND reply code; after 0x00 the session stays open, waiting for CONNECT. */
    record Bound(Socks5TestClient client, int lastRep) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            client.close();
        }

        boolean closedWithoutBytes() throws IOException {
            return client.closedWithoutBytes();
        }
    }

    Bound bind(InetSocketAddress source, String user) throws IOException {
        var c = new Socks5TestClient(proxy);
        closeables.add(c);
        if (user == null) {
            c.greet(0x00);
        } else {
            c.greet(0x02);
            c.auth(user, "secret");
        }
        return new Bound(c, c.request(BIND, source).rep());
    }

    double refusals(String source, String limit) {
        return metric(registry, "proxy_source_refusals_total", Map.of("listener", label, "source", source, "limit", limit));
    }

    @Test
    void theSessionOverMaxSessionsIs02UntilOneCloses() throws Exception {
        start(null, b -> b.sourceLimits(List.of(limit("127.0.0.74/32", 2, null))));
        var first = bind(SOURCE, null);
        var second = bind(SOURCE, null);
        assertThat(first.lastRep).isZero();
        assertThat(second.lastRep).isZero();
        var third = bind(SOURCE, null);
        assertThat(third.lastRep).isEqualTo(0x02);
        assertThat(third.closedWithoutBytes()).isTrue();
        assertThat(bind(OTHER_SOURCE, null).lastRep).as("another source is not limited").isZero();
        assertThat(refusals("127.0.0.74", "max_sessions")).isEqualTo(1);
        assertThat(metric(registry, "proxy_source_sessions_total", Map.of("listener", label, "source", "127.0.0.74")))
                .isEqualTo(2);

        first.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> server.activeSessions() == 2);
        assertThat(bind(SOURCE, null).lastRep).isZero();
    }

    @Test
    void theSessionOverMaxSessionRateIs02EvenWithNoneOpen() throws Exception {
        start(null, b -> b.sourceLimits(List.of(limit("127.0.0.0/24", null, "2/h"))));
        for (int i = 0; i < 2; i++) {
            var c = bind(SOURCE, null);
            assertThat(c.lastRep).isZero();
            c.close();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> server.activeSessions() == 0);
        assertThat(bind(OTHER_SOURCE, null).lastRep).as("the range shares one rate").isEqualTo(0x02);
        assertThat(refusals("127.0.0.75", "max_session_rate")).isEqualTo(1);
    }

    @Test
    void anIdentitysLimitCountsOnlyItsOwnSessions() throws Exception {
        start(alice, b -> b.identityRules(Map.of("alice",
                new IdentityRules(null, null, List.of(limit("127.0.0.0/24", 1, null))))));
        assertThat(bind(SOURCE, "alice").lastRep).isZero();
        assertThat(bind(OTHER_SOURCE, "alice").lastRep).isEqualTo(0x02);
        assertThat(bind(SOURCE, null).lastRep).as("a client without that identity").isZero();
        assertThat(refusals("127.0.0.75", "max_sessions")).isEqualTo(1);
    }
}
