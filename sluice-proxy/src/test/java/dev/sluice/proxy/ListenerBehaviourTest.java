package dev.sluice.proxy;

import static dev.sluice.proxy.TestSupport.metric;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sluice.net.CidrSet;
import dev.sluice.net.Tls;
import dev.sluice.testkit.LogCapture;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What an operator sees: startup lines, the open-proxy warning, session lines, TLS failures, config errors. */
class ListenerBehaviourTest {
    final PrometheusRegistry registry = new PrometheusRegistry();
    @RegisterExtension
    final LogCapture logs = new LogCapture("dev.sluice.proxy");
    ProxyServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.shutdown(Duration.ZERO);
        }
    }

    List<String> lines() {
        return logs.lines();
    }

    @Test
    void startupLinesNameEachBoundListener() throws Exception {
        server = new ProxyServer(List.of(
                ProxyListenerConfig.builder(new InetSocketAddress("127.0.0.91", 0)).build(),
                ProxyListenerConfig.builder(new InetSocketAddress("127.0.0.91", 0)).useTls(true).build()), null, registry);
        List<InetSocketAddress> bound = server.start();
        assertThat(bound).hasSize(2).allSatisfy(a -> assertThat(a.getPort()).isPositive());
        assertThat(lines()).contains(
                "INFO proxy listener on 127.0.0.91:" + bound.get(0).getPort(),
                "INFO proxy listener (TLS) on 127.0.0.91:" + bound.get(1).getPort());
        assertThat(lines()).noneMatch(l -> l.contains("open proxy"));
    }

    @Test
    void nonLoopbackListenerWithoutAuthOrClientAclWarnsOfAnOpenProxy() throws Exception {
        server = new ProxyServer(List.of(
                ProxyListenerConfig.builder(new InetSocketAddress("0.0.0.0", 0)).build(),
                ProxyListenerConfig.builder(new InetSocketAddress("0.0.0.0", 0)).allowedClients(CidrSet.of("127.0.0.0/8")).build()),
                null, registry);
        List<InetSocketAddress> bound = server.start();
        assertThat(lines()).filteredOn(l -> l.startsWith("WARN") && l.contains("open proxy")).hasSize(1)
                .allMatch(l -> l.contains("0.0.0.0:" + bound.get(0).getPort()));
    }

    @Test
    void eachSessionEndsWithOneLogLine() throws Exception {
        server = new ProxyServer(List.of(ProxyListenerConfig.builder(new InetSocketAddress("127.0.0.91", 0))
                .allowedDestinations(ProxyServerTest.LOOPBACK).build()), null, registry);
        InetSocketAddress proxy = server.start().get(0);
        try (var target = new TestSupport.Target(InetAddress.getByName("127.0.0.92"), TestSupport::echo);
                var c = new Socks5TestClient(proxy)) {
            c.greet(0);
            c.request(Socks5TestClient.BIND, new InetSocketAddress("127.0.0.93", 0));
            c.request(Socks5TestClient.CONNECT, target.address());
            c.out.write("ping".getBytes());
            c.socket.shutdownOutput();
            c.readToEof();
            await().atMost(Duration.ofSeconds(10)).until(() -> lines().stream().anyMatch(l -> l.contains("outcome=")));
            assertThat(lines()).filteredOn(l -> l.contains("outcome=")).singleElement().satisfies(l -> assertThat(l)
                    .contains("client=127.0.0.1:" + c.socket.getLocalPort())
                    .contains("source=127.0.0.93:")
                    .contains("destination=127.0.0.92:" + target.address().getPort())
                    .contains("bytes_client_to_dest=4").contains("bytes_dest_to_client=4")
                    .contains("duration_ms=").contains("outcome=relayed"));
        }
    }

    @Test
    void failedTlsHandshakeIsCountedAndNotAccepted() throws Exception {
        server = new ProxyServer(List.of(ProxyListenerConfig.builder(new InetSocketAddress("127.0.0.91", 0)).useTls(true).build()), null, registry);
        InetSocketAddress proxy = server.start().get(0);
        String label = "127.0.0.91:" + proxy.getPort();
        try (var c = new Socks5TestClient(proxy)) {
            c.send(5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, 0, 25); // SOCKS in clear text to a TLS listener
            assertThat(c.readToEof()).isNotNull();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> metric(registry, "proxy_tls_handshake_failures_total", Map.of("listener", label)) == 1);
        assertThat(metric(registry, "proxy_connections_accepted_total", Map.of("listener", label))).isZero();
    }

    @Test
    void tlsListenerWithConfiguredCertificateServesIt() throws Exception {
        Tls.SelfSigned cert = Tls.selfSigned("configured.test");
        server = new ProxyServer(List.of(ProxyListenerConfig.builder(new InetSocketAddress("127.0.0.91", 0)).useTls(true)
                .tlsCertificatePem(cert.certificatePem()).tlsPrivateKeyPem(cert.privateKeyPem()).build()), null, registry);
        InetSocketAddress proxy = server.start().get(0);
        try (var s = (javax.net.ssl.SSLSocket) RelayTest.tlsSocket(proxy)) {
            var peer = (java.security.cert.X509Certificate) s.getSession().getPeerCertificates()[0];
            assertThat(peer.getSubjectX500Principal().getName()).isEqualTo("CN=configured.test");
            var c = new Socks5TestClient(s, proxy);
            assertThat(c.greet(0)).isZero();
        }
    }

    @Test
    void certificateWithoutKeyIsAConfigError() {
        Tls.SelfSigned cert = Tls.selfSigned("x.test");
        assertThatThrownBy(() -> ProxyListenerConfig.builder(new InetSocketAddress("127.0.0.1", 0)).useTls(true)
                .tlsCertificatePem(cert.certificatePem()).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("together");
        assertThatThrownBy(() -> ProxyListenerConfig.builder(new InetSocketAddress("127.0.0.1", 0)).useTls(true)
                .tlsPrivateKeyPem(cert.privateKeyPem()).build())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void defaultsMatchKumoProxy() {
        ProxyListenerConfig c = ProxyListenerConfig.builder(new InetSocketAddress("127.0.0.1", 0)).build();
        assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.useSplice()).isTrue();
        assertThat(c.useTls()).isFalse();
        assertThat(c.requireAuth()).isFalse();
        assertThat(c.tcpKeepalive()).isEqualTo(dev.sluice.net.TcpKeepalive.DEFAULT);
        assertThat(c.allowedClients()).isNull();
        assertThat(c.identityRules()).isEmpty();
    }

    @Test
    void bindFailureStopsStartAndReleasesWhatWasBound() throws Exception {
        try (var taken = new java.net.ServerSocket(0, 1, InetAddress.getByName("127.0.0.94"))) {
            ProxyServer s = new ProxyServer(List.of(
                    ProxyListenerConfig.builder(new InetSocketAddress("127.0.0.94", 0)).build(),
                    ProxyListenerConfig.builder((InetSocketAddress) taken.getLocalSocketAddress()).build()), null, registry);
            assertThatThrownBy(s::start).isNotNull();
            assertThat(s.activeSessions()).isZero();
        }
    }
}
