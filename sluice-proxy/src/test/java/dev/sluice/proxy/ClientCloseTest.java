package dev.sluice.proxy;

import static dev.sluice.proxy.Socks5TestClient.BIND;
import static dev.sluice.proxy.Socks5TestClient.CONNECT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.testkit.LogCapture;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A client that goes away in the middle of the handshake is released at once (not held in CLOSE-WAIT until the
 * step timeout), logged as closed by the client, once; a timeout is logged once too. The step timeout is 30 s, so
 * anything that waits for it fails the 5 s bounds below.
 */
class ClientCloseTest {
    static final String PROXY_IP = "127.0.0.65";
    static final Duration STEP_TIMEOUT = Duration.ofSeconds(30);
    static final Duration RELEASED_WITHIN = Duration.ofSeconds(5);

    final PrometheusRegistry registry = new PrometheusRegistry();
    @RegisterExtension
    final LogCapture logs = new LogCapture("dev.sluice.proxy");
    final List<AutoCloseable> closeables = new ArrayList<>();
    ProxyServer server;
    InetSocketAddress proxy;
    String label;

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        if (server != null) {
            server.shutdown(Duration.ZERO);
        }
    }

    List<String> lines() {
        return logs.lines();
    }

    void start(Authenticator auth, UnaryOperator<ProxyListenerConfig.Builder> cfg) throws Exception {
        var b = ProxyListenerConfig.builder(new InetSocketAddress(PROXY_IP, 0)).timeout(STEP_TIMEOUT)
                .allowedDestinations(ProxyServerTest.LOOPBACK);
        server = new ProxyServer(List.of(cfg.apply(b).build()), auth, registry);
        proxy = server.start().get(0);
        label = PROXY_IP + ":" + proxy.getPort();
    }

    Socks5TestClient client() throws IOException {
        var c = new Socks5TestClient(proxy);
        c.socket.setSoTimeout((int) RELEASED_WITHIN.toMillis());
        closeables.add(c);
        return c;
    }

    /**
     * The client half-closes (FIN) and then waits: the proxy must close its side too (the client reads EOF) and drop
     * the session well before the step timeout, with one log line that says the client closed.
     */
    void assertReleasedAsClosedByClient(Socks5TestClient c, String during) throws IOException {
        c.socket.shutdownOutput();
        long t0 = System.nanoTime();
        assertThat(c.closedWithoutBytes()).as("proxy closed its side").isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(RELEASED_WITHIN);
        await().atMost(RELEASED_WITHIN).until(() -> server.activeSessions() == 0);
        assertThat(lines()).filteredOn(l -> l.contains("client=127.0.0.1:" + c.socket.getLocalPort())).singleElement()
                .satisfies(l -> assertThat(l).contains("outcome=closed by client during " + during));
        assertThat(TestSupport.metric(registry, "proxy_connections_failed_total", Map.of("listener", label))).isEqualTo(1);
        assertThat(TestSupport.metric(registry, "proxy_active_connections", Map.of("listener", label))).isZero();
    }

    @Test
    void halfAGreetingThenCloseIsReleasedAtOnce() throws Exception {
        start(null, b -> b);
        var c = client();
        c.send(5, 2, 0); // claims two methods, sends one
        await().atMost(RELEASED_WITHIN).until(() -> server.activeSessions() == 1);
        assertReleasedAsClosedByClient(c, "the greeting");
    }

    @Test
    void fullyClosedClientIsReleasedAtOnce() throws Exception {
        start(null, b -> b);
        var c = client();
        c.send(5, 2, 0);
        await().atMost(RELEASED_WITHIN).until(() -> server.activeSessions() == 1);
        c.socket.close();
        await().atMost(RELEASED_WITHIN).until(() -> server.activeSessions() == 0);
        await().atMost(RELEASED_WITHIN).until(() -> lines().stream().anyMatch(l -> l.contains("outcome=")));
        assertThat(lines()).filteredOn(l -> l.contains("outcome=")).singleElement()
                .satisfies(l -> assertThat(l).contains("outcome=closed by client during the greeting"));
    }

    @Test
    void tlsClientClosingDuringTheGreetingIsReleasedAtOnce() throws Exception {
        start(null, b -> b.useTls(true));
        try (var tls = RelayTest.tlsSocket(proxy)) {
            tls.getOutputStream().write(new byte[] {5, 2, 0});
            tls.getOutputStream().flush();
            await().atMost(RELEASED_WITHIN).until(() -> server.activeSessions() == 1);
        } // close_notify, then FIN
        await().atMost(RELEASED_WITHIN).until(() -> server.activeSessions() == 0);
        assertThat(lines()).filteredOn(l -> l.contains("outcome=")).singleElement()
                .satisfies(l -> assertThat(l).contains("outcome=closed by client during the greeting"));
    }

    @Test
    void halfAnAuthRequestThenCloseIsReleasedAtOnce() throws Exception {
        start((u, p, m) -> CompletableFuture.completedFuture(AuthDecision.granted(u)), b -> b);
        var c = client();
        assertThat(c.greet(0x02)).isEqualTo(0x02);
        c.send(1, 5, 'a'); // user name cut short
        assertReleasedAsClosedByClient(c, "authentication");
    }

    @Test
    void halfARequestThenCloseIsReleasedAtOnce() throws Exception {
        start(null, b -> b);
        var c = client();
        assertThat(c.greet(0x00)).isZero();
        c.send(5, 1, 0, 1, 127); // cut in the address
        assertReleasedAsClosedByClient(c, "the request");
    }

    @Test
    void closeAfterBindBeforeConnectIsReleasedAtOnce() throws Exception {
        start(null, b -> b);
        var c = client();
        assertThat(c.greet(0x00)).isZero();
        assertThat(c.request(BIND, new InetSocketAddress("127.0.0.66", 0)).rep()).isZero();
        assertReleasedAsClosedByClient(c, "the request after BIND");
    }

    /** FIN while the BIND is still being answered: the step after it finds nothing more will come. */
    @Test
    void bindPipelinedWithFinIsAnsweredThenReleased() throws Exception {
        start(null, b -> b);
        var c = client();
        var wire = new java.io.ByteArrayOutputStream();
        wire.write(new byte[] {5, 1, 0});
        wire.write(Socks5TestClient.request(BIND, InetAddress.getByName("127.0.0.66"), 0));
        c.out.write(wire.toByteArray());
        c.socket.shutdownOutput();
        assertThat(c.in.readUnsignedByte()).isEqualTo(5);
        assertThat(c.in.readUnsignedByte()).isEqualTo(0);
        assertThat(c.readReply().rep()).isZero();
        assertThat(c.closedWithoutBytes()).isTrue();
        await().atMost(RELEASED_WITHIN).until(() -> server.activeSessions() == 0);
        assertThat(lines()).filteredOn(l -> l.contains("outcome=")).singleElement()
                .satisfies(l -> assertThat(l).contains("outcome=closed by client during the request after BIND"));
    }

    /** A client that sends its whole request and data, then FIN, still gets its relay (the FIN is passed on). */
    @Test
    void requestDataAndFinInOneGoStillRelay() throws Exception {
        start(null, b -> b);
        try (var target = new TestSupport.Target(InetAddress.getByName("127.0.0.67"), TestSupport::echo)) {
            var c = client();
            var wire = new java.io.ByteArrayOutputStream();
            wire.write(new byte[] {5, 1, 0});
            wire.write(Socks5TestClient.request(CONNECT, target.address().getAddress(), target.address().getPort()));
            wire.write("early".getBytes());
            c.out.write(wire.toByteArray());
            c.socket.shutdownOutput();
            assertThat(c.in.readUnsignedByte()).isEqualTo(5);
            assertThat(c.in.readUnsignedByte()).isEqualTo(0);
            assertThat(c.readReply().rep()).isZero();
            assertThat(new String(c.readToEof())).isEqualTo("early");
        }
    }

    @Test
    void greetingTimeoutIsLoggedOnce() throws Exception {
        start(null, b -> b.timeout(Duration.ofMillis(300)));
        var c = client();
        c.send(5, 2, 0);
        assertThat(c.closedWithoutBytes()).isTrue();
        await().atMost(RELEASED_WITHIN).until(() -> server.activeSessions() == 0);
        // the one line per session, written when the session ended; nothing before or after it
        assertThat(lines()).filteredOn(l -> l.contains("timeout")).singleElement()
                .satisfies(l -> assertThat(l).contains("outcome=failed: timeout waiting for the greeting"));
    }
}
