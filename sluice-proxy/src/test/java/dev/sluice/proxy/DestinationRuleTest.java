package dev.sluice.proxy;

import static dev.sluice.proxy.Socks5TestClient.CONNECT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.net.CidrSet;
import dev.sluice.testkit.LogCapture;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The proxy must not be a way into the host's own services: CONNECT to loopback, unspecified, link-local, multicast
 * (and this host's interface addresses: {@link OwnAddressDestinationTest}) is refused with 0x02 unless
 * allowed_destinations lists it. Targets here are real local servers, so "refused" also means "never connected".
 */
class DestinationRuleTest {
    static final String PROXY_IP = "127.0.0.61";
    final PrometheusRegistry registry = new PrometheusRegistry();
    @RegisterExtension
    final LogCapture logs = new LogCapture("dev.sluice.proxy");
    final List<AutoCloseable> closeables = new ArrayList<>();
    ProxyServer server;
    InetSocketAddress proxy;

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

    void start(UnaryOperator<ProxyListenerConfig.Builder> cfg) throws Exception {
        var b = ProxyListenerConfig.builder(new InetSocketAddress(PROXY_IP, 0)).timeout(Duration.ofSeconds(5));
        server = new ProxyServer(List.of(cfg.apply(b).build()), null, registry);
        proxy = server.start().get(0);
    }

    TestSupport.Target target(String ip) throws IOException {
        var t = new TestSupport.Target(InetAddress.getByName(ip), TestSupport::echo);
        closeables.add(t);
        return t;
    }

    Socks5TestClient client() throws IOException {
        var c = new Socks5TestClient(proxy);
        closeables.add(c);
        return c;
    }

    /** Greets, sends CONNECT as raw bytes (so any address form goes on the wire as given), returns the reply code. */
    int connect(byte[] request) throws IOException {
        var c = client();
        assertThat(c.greet(0x00)).isZero();
        c.out.write(request);
        c.out.flush();
        int rep = c.readReply().rep();
        if (rep != 0) {
            assertThat(c.closedWithoutBytes()).isTrue();
        }
        return rep;
    }

    int connect(String ip, int port) throws IOException {
        return connect(Socks5TestClient.request(CONNECT, InetAddress.getByName(ip), port));
    }

    /** The session's one log line, once it has been written. */
    String sessionLine() {
        await().atMost(Duration.ofSeconds(10)).until(() -> lines().stream().anyMatch(l -> l.contains("outcome=")));
        return lines().stream().filter(l -> l.contains("outcome=")).reduce((a, b) -> b).orElseThrow();
    }

    @Test
    void loopbackServerIsRefusedWith02AndNeverSeesAConnection() throws Exception {
        start(b -> b);
        var local = target("127.0.0.1");
        int port = local.address().getPort();

        assertThat(connect("127.0.0.1", port)).isEqualTo(0x02);

        assertThat(sessionLine())
                .contains("destination=127.0.0.1:" + port)
                .contains("outcome=refused(0x02): CONNECT 127.0.0.1:" + port
                        + " not allowed by the default destination rule: 127.0.0.1 is loopback");
        assertThat(lines()).filteredOn(l -> l.contains("127.0.0.1:" + port)).hasSize(1); // one line per session
        assertThat(local.firstPeer).as("the local server saw a connection").isNotDone();
        assertThat(TestSupport.metric(registry, "proxy_outbound_connections_total", Map.of())).isZero();
    }

    @Test
    void unspecifiedAddressWhichLinuxConnectsToLoopbackIsRefused() throws Exception {
        start(b -> b);
        var local = target("127.0.0.1");
        assertThat(connect("0.0.0.0", local.address().getPort())).isEqualTo(0x02);
        assertThat(sessionLine()).contains("0.0.0.0 is unspecified");
        assertThat(connect("0.1.2.3", local.address().getPort())).isEqualTo(0x02); // all of 0.0.0.0/8
        assertThat(local.firstPeer).isNotDone();
    }

    @Test
    void ipv6LoopbackAndUnspecifiedAreRefused() throws Exception {
        start(b -> b);
        var local = target("::1");
        assertThat(connect("::1", local.address().getPort())).isEqualTo(0x02);
        assertThat(sessionLine()).contains("is loopback");
        assertThat(connect("::", local.address().getPort())).isEqualTo(0x02);
        assertThat(local.firstPeer).isNotDone();
    }

    @Test
    void ipv4MappedIpv6FormOfLoopbackIsRefused() throws Exception {
        start(b -> b);
        var local = target("127.0.0.1");
        int port = local.address().getPort();
        // ATYP 4 with ::ffff:127.0.0.1, written byte by byte: Java itself would turn it into an IPv4 address
        byte[] mapped = {5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, 127, 0, 0, 1,
                (byte) (port >> 8), (byte) port};
        assertThat(connect(mapped)).isEqualTo(0x02);
        assertThat(sessionLine()).contains("127.0.0.1 is loopback");
        assertThat(local.firstPeer).isNotDone();
    }

    /** IPv4 link-local (169.254.169.254, the cloud metadata address) is tried in a namespace: {@link OwnAddressDestinationTest}. */
    @Test
    void linkLocalAndMulticastAreRefusedBeforeAnyPacketIsSent() throws Exception {
        start(b -> b);
        assertThat(connect("fe80::1", 80)).isEqualTo(0x02);
        assertThat(sessionLine()).contains("fe80:0:0:0:0:0:0:1 is link-local");
        assertThat(connect("224.0.0.1", 25)).isEqualTo(0x02);
        assertThat(sessionLine()).contains("224.0.0.1 is multicast");
        assertThat(connect("ff02::1", 25)).isEqualTo(0x02);
        assertThat(TestSupport.metric(registry, "proxy_outbound_connections_total", Map.of())).isZero();
    }

    @Test
    void allowedDestinationsLetsLoopbackThroughAndOnlyWhatItLists() throws Exception {
        start(b -> b.allowedDestinations(CidrSet.of("127.0.0.0/8")));
        var local = target("127.0.0.1");
        var c = client();
        assertThat(c.greet(0x00)).isZero();
        assertThat(c.request(CONNECT, local.address()).rep()).isZero();
        c.out.write("through".getBytes());
        c.socket.shutdownOutput();
        assertThat(new String(c.readToEof())).isEqualTo("through");
        assertThat(local.firstPeer).isDone();

        var v6 = target("::1");
        assertThat(connect("::1", v6.address().getPort())).isEqualTo(0x02); // not listed: still refused
        assertThat(v6.firstPeer).isNotDone();
    }

    @Test
    void loopbackListenerWithoutAuthOrClientAclWarnsWhenDestinationsAreWidened() throws Exception {
        server = new ProxyServer(List.of(
                ProxyListenerConfig.builder(new InetSocketAddress(PROXY_IP, 0)).build(),
                ProxyListenerConfig.builder(new InetSocketAddress(PROXY_IP, 0)).allowedDestinations(CidrSet.of("127.0.0.0/8")).build(),
                ProxyListenerConfig.builder(new InetSocketAddress(PROXY_IP, 0)).allowedDestinations(CidrSet.of("127.0.0.0/8"))
                        .allowedClients(CidrSet.of("127.0.0.5/32")).build()),
                null, registry);
        List<InetSocketAddress> bound = server.start();
        assertThat(lines()).filteredOn(l -> l.startsWith("WARN") && l.contains("open proxy")).singleElement()
                .satisfies(l -> assertThat(l).contains(PROXY_IP + ":" + bound.get(1).getPort()).contains("127.0.0.0/8"));
    }
}
