package dev.sluice.proxy;

import static dev.sluice.proxy.Socks5TestClient.BIND;
import static dev.sluice.proxy.Socks5TestClient.CONNECT;
import static dev.sluice.proxy.TestSupport.metric;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.net.CidrSet;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Real sockets on loopback: the SOCKS5 handshake, BIND-then-CONNECT, error replies, ACLs, timeouts. */
class ProxyServerTest {
    // Not 127.0.0.1: other load on this host can fill 127.0.0.1's port space with TIME-WAIT sockets, and then a
    // bind to port 0 there fails. Distinct loopback addresses have their own port space.
    static final InetAddress LO = addr("127.0.0.72");
    static final String PROXY_IP = "127.0.0.71";
    static final CidrSet LOOPBACK = CidrSet.of("127.0.0.0/8", "::1");

    static InetAddress addr(String ip) {
        try {
            return InetAddress.getByName(ip);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
    final PrometheusRegistry registry = new PrometheusRegistry();
    final List<AutoCloseable> closeables = new ArrayList<>();
    ProxyServer server;
    InetSocketAddress proxy;
    String label;

    Authenticator alice = (u, p, meta) -> CompletableFuture.supplyAsync(
            () -> u.equals("alice") && p.equals("secret") ? AuthDecision.granted("alice") : AuthDecision.denied(),
            CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS));

    void start(Authenticator auth, UnaryOperator<ProxyListenerConfig.Builder> cfg) throws Exception {
        // The targets are on loopback, which the proxy refuses by default (DestinationRuleTest).
        var b = ProxyListenerConfig.builder(new InetSocketAddress(PROXY_IP, 0)).timeout(Duration.ofSeconds(5))
                .allowedDestinations(LOOPBACK);
        server = new ProxyServer(List.of(cfg.apply(b).build()), auth, registry);
        proxy = server.start().get(0);
        label = PROXY_IP + ":" + proxy.getPort();
    }

    void start() throws Exception {
        start(null, b -> b);
    }

    Socks5TestClient client() throws IOException {
        var c = new Socks5TestClient(proxy);
        closeables.add(c);
        return c;
    }

    TestSupport.Target target(InetAddress bind) throws IOException {
        var t = new TestSupport.Target(bind, TestSupport::echo);
        closeables.add(t);
        return t;
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

    double m(String name) {
        return metric(registry, name, Map.of("listener", label));
    }

    @Test
    void connectAloneRelaysAndRepliesWithTheOutboundLocalAddress() throws Exception {
        start();
        var target = target(LO);
        var c = client();
        assertThat(c.greet(0x00)).isEqualTo(0x00);
        var reply = c.request(CONNECT, target.address());
        assertThat(reply.rep()).isZero();
        InetSocketAddress seen = target.firstPeer.get(10, TimeUnit.SECONDS);
        assertThat(reply.bound()).isEqualTo(seen);
        c.out.write("hello".getBytes());
        c.socket.shutdownOutput();
        assertThat(new String(c.readToEof())).isEqualTo("hello");
        await().atMost(Duration.ofSeconds(10)).until(() -> m("proxy_connections_completed_total") == 1);
        assertThat(m("proxy_connections_accepted_total")).isEqualTo(1);
        assertThat(m("proxy_active_connections")).isZero();
        assertThat(m("proxy_bytes_client_to_dest_total")).isEqualTo(5);
        assertThat(m("proxy_bytes_dest_to_client_total")).isEqualTo(5);
        assertThat(metric(registry, "proxy_outbound_connections_total",
                Map.of("listener", label, "destination", "127.0.0.72:" + target.address().getPort()))).isEqualTo(1);
    }

    @Test
    void bindThenConnectLeavesFromTheBoundAddress() throws Exception {
        start();
        var target = target(LO);
        var c = client();
        c.greet(0x00);
        var bound = c.request(BIND, new InetSocketAddress("127.0.0.9", 0));
        assertThat(bound.rep()).isZero();
        assertThat(bound.bound().getAddress().getHostAddress()).isEqualTo("127.0.0.9");
        // IP_BIND_ADDRESS_NO_PORT: no port is reserved until connect(), so the BIND reply carries port 0.
        assertThat(bound.bound().getPort()).isZero();
        var connected = c.request(CONNECT, target.address());
        assertThat(connected.rep()).isZero();
        InetSocketAddress seen = target.firstPeer.get(10, TimeUnit.SECONDS);
        assertThat(seen.getAddress().getHostAddress()).isEqualTo("127.0.0.9");
        assertThat(connected.bound()).isEqualTo(seen);
    }

    @Test
    void bindThenConnectOverIpv6() throws Exception {
        start();
        InetAddress v6 = InetAddress.getByName("::1");
        var target = target(v6);
        var c = client();
        c.greet(0x00);
        var bound = c.request(BIND, new InetSocketAddress(v6, 0));
        assertThat(bound.rep()).isZero();
        assertThat(bound.atyp()).isEqualTo(4);
        var connected = c.request(CONNECT, target.address());
        assertThat(connected.rep()).isZero();
        assertThat(connected.atyp()).isEqualTo(4);
        assertThat(connected.bound()).isEqualTo(target.firstPeer.get(10, TimeUnit.SECONDS));
    }

    @Test
    void pipelinedBindConnectAndDataAreAllHonoured() throws Exception {
        start();
        var target = target(LO);
        var c = client();
        var wire = new java.io.ByteArrayOutputStream();
        wire.write(new byte[] {5, 1, 0});
        wire.write(Socks5TestClient.request(BIND, InetAddress.getByName("127.0.0.9"), 0));
        wire.write(Socks5TestClient.request(CONNECT, LO, target.address().getPort()));
        wire.write("early".getBytes());
        c.out.write(wire.toByteArray());
        c.socket.shutdownOutput();
        assertThat(c.in.readUnsignedByte()).isEqualTo(5);
        assertThat(c.in.readUnsignedByte()).isEqualTo(0);
        assertThat(c.readReply().rep()).isZero();
        assertThat(c.readReply().rep()).isZero();
        assertThat(new String(c.readToEof())).isEqualTo("early");
    }

    @Test
    void bindOfAnAddressNotOnThisHostFailsWithGeneralFailureAndCloses() throws Exception {
        start();
        var c = client();
        c.greet(0x00);
        var r = c.request(BIND, new InetSocketAddress("192.0.2.1", 0));
        assertThat(r.rep()).isEqualTo(0x01);
        assertThat(r.bound()).isEqualTo(new InetSocketAddress("0.0.0.0", 0));
        assertThat(c.closedWithoutBytes()).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> m("proxy_connections_completed_total") == 1);
    }

    @Test
    void connectionRefusedIs05() throws Exception {
        start();
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, LO)) {
            closedPort = s.getLocalPort();
        }
        var c = client();
        c.greet(0x00);
        assertThat(c.request(CONNECT, new InetSocketAddress(LO, closedPort)).rep()).isEqualTo(0x05);
        assertThat(c.closedWithoutBytes()).isTrue();
    }

    /**
     * A listener with backlog 1 that never accepts: once its accept queue is full the kernel drops further SYNs,
     * so the proxy's connect() neither succeeds nor fails until the step timeout. No packet leaves loopback.
     */
    @Test
    void connectOutlivingTheStepTimeoutIs06() throws Exception {
        start(null, b -> b.timeout(Duration.ofMillis(800)));
        try (ServerSocket full = new ServerSocket(0, 1, LO)) {
            List<Socket> fillers = new ArrayList<>();
            try {
                boolean saturated = false;
                for (int i = 0; i < 20 && !saturated; i++) {
                    Socket s = new Socket();
                    fillers.add(s);
                    try {
                        s.connect(full.getLocalSocketAddress(), 300);
                    } catch (SocketTimeoutException e) {
                        saturated = true;
                    }
                }
                assertThat(saturated).as("accept queue saturated").isTrue();
                var c = client();
                c.greet(0x00);
                long t0 = System.nanoTime();
                assertThat(c.request(CONNECT, (InetSocketAddress) full.getLocalSocketAddress()).rep()).isEqualTo(0x06);
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(700));
                assertThat(c.closedWithoutBytes()).isTrue();
            } finally {
                for (Socket s : fillers) {
                    s.close();
                }
            }
        }
    }

    @Test
    void secondBindIsRefused() throws Exception {
        start();
        var c = client();
        c.greet(0x00);
        assertThat(c.request(BIND, new InetSocketAddress("127.0.0.9", 0)).rep()).isZero();
        assertThat(c.request(BIND, new InetSocketAddress("127.0.0.9", 0)).rep()).isEqualTo(0x01);
        assertThat(c.closedWithoutBytes()).isTrue();
    }

    @Test
    void udpAssociateIs07() throws Exception {
        start();
        var c = client();
        c.greet(0x00);
        assertThat(c.request(Socks5TestClient.UDP, new InetSocketAddress(LO, 53)).rep()).isEqualTo(0x07);
        assertThat(c.closedWithoutBytes()).isTrue();
    }

    @Test
    void unknownCommandIs07() throws Exception {
        start();
        var c = client();
        c.greet(0x00);
        c.send(5, 9, 0, 1, 127, 0, 0, 1, 0, 25);
        assertThat(c.readReply().rep()).isEqualTo(0x07);
        assertThat(c.closedWithoutBytes()).isTrue();
    }

    @Test
    void domainNameIs08() throws Exception {
        start();
        var c = client();
        c.greet(0x00);
        byte[] name = "example.com".getBytes();
        int[] req = new int[7 + name.length];
        req[0] = 5; req[1] = 1; req[2] = 0; req[3] = 3; req[4] = name.length;
        for (int i = 0; i < name.length; i++) {
            req[5 + i] = name[i];
        }
        req[5 + name.length] = 0;
        req[6 + name.length] = 25;
        c.send(req);
        var r = c.readReply();
        assertThat(r.rep()).isEqualTo(0x08);
        assertThat(r.bound()).isEqualTo(new InetSocketAddress("0.0.0.0", 0));
        assertThat(c.closedWithoutBytes()).isTrue();
    }

    @Test
    void unknownAddressTypeIs08() throws Exception {
        start();
        var c = client();
        c.greet(0x00);
        c.send(5, 1, 0, 7, 1, 2, 3, 4, 0, 25);
        assertThat(c.readReply().rep()).isEqualTo(0x08);
        assertThat(c.closedWithoutBytes()).isTrue();
    }

    @Test
    void requestWithBadVersionIs01AndCountsAsFailed() throws Exception {
        start();
        var c = client();
        c.greet(0x00);
        c.send(4, 1, 0, 1, 127, 0, 0, 1, 0, 25);
        assertThat(c.readReply().rep()).isEqualTo(0x01);
        assertThat(c.closedWithoutBytes()).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> m("proxy_connections_failed_total") == 1);
    }

    @Test
    void greetingWithBadVersionIsClosedWithoutReply() throws Exception {
        start();
        var c = client();
        c.send(4, 1, 0, 25, 127, 0, 0, 1, 0);
        assertThat(c.closedWithoutBytes()).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> m("proxy_connections_failed_total") == 1);
    }

    @Test
    void silentClientIsClosedAfterTheTimeoutWithNoBytes() throws Exception {
        start(null, b -> b.timeout(Duration.ofMillis(500)));
        var c = client();
        long t0 = System.nanoTime();
        assertThat(c.closedWithoutBytes()).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(400));
        await().atMost(Duration.ofSeconds(10)).until(() -> m("proxy_connections_failed_total") == 1);
    }

    @Test
    void truncatedGreetingAndTruncatedRequestTimeOutAndClose() throws Exception {
        start(null, b -> b.timeout(Duration.ofMillis(500)));
        var c1 = client();
        c1.send(5, 255, 0); // claims 255 methods, sends one
        assertThat(c1.closedWithoutBytes()).isTrue();
        var c2 = client();
        c2.greet(0x00);
        c2.send(5, 1, 0, 1, 127); // cut in the address
        assertThat(c2.closedWithoutBytes()).isTrue();
    }

    @Test
    void noAcceptableMethodIsFF() throws Exception {
        start();
        var c = client();
        assertThat(c.greet(0x01)).isEqualTo(0xFF);
        assertThat(c.closedWithoutBytes()).isTrue();
    }

    @Test
    void requireAuthWithoutCredentialsIsFF() throws Exception {
        start(alice, b -> b.requireAuth(true));
        var c = client();
        assertThat(c.greet(0x00)).isEqualTo(0xFF);
        assertThat(c.closedWithoutBytes()).isTrue();
    }

    @Test
    void rightPasswordIsAcceptedAndTheSessionProceeds() throws Exception {
        start(alice, b -> b.requireAuth(true));
        var target = target(LO);
        var c = client();
        assertThat(c.greet(0x00, 0x02)).isEqualTo(0x02);
        assertThat(c.auth("alice", "secret")).isZero();
        assertThat(c.request(CONNECT, target.address()).rep()).isZero();
    }

    @Test
    void wrongPasswordIs0101AndClose() throws Exception {
        start(alice, b -> b.requireAuth(true));
        var c = client();
        assertThat(c.greet(0x02)).isEqualTo(0x02);
        assertThat(c.auth("alice", "wrong")).isEqualTo(0x01);
        assertThat(c.closedWithoutBytes()).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> m("proxy_connections_failed_total") == 1);
    }

    @Test
    void withAnAuthenticatorOfferingPasswordAlwaysSubNegotiates() throws Exception {
        start(alice, b -> b); // auth not required
        var c = client();
        assertThat(c.greet(0x00, 0x02)).isEqualTo(0x02);
        assertThat(c.auth("anyone", "anything")).isEqualTo(0x01);
        assertThat(c.closedWithoutBytes()).isTrue();
    }

    @Test
    void withoutAnAuthenticatorOfferingPasswordGetsNoAuthAndRelays() throws Exception {
        start(); // no authenticator, auth not required
        var target = target(LO);
        var c = client();
        assertThat(c.greet(0x00, 0x02)).isEqualTo(0x00);
        assertThat(c.request(CONNECT, target.address()).rep()).isZero();
        c.out.write("hi".getBytes());
        c.socket.shutdownOutput();
        assertThat(new String(c.readToEof())).isEqualTo("hi");
    }

    @Test
    void requireAuthWithoutAnAuthenticatorIsRefusedWhenTheServerIsBuilt() {
        var cfg = ProxyListenerConfig.builder(new InetSocketAddress(PROXY_IP, 0)).requireAuth(true).build();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new ProxyServer(List.of(cfg), null, registry))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("require_auth").hasMessageContaining("proxy_server_auth_rfc1929");
    }

    @Test
    void authenticatorSeesConnectionMetadata() throws Exception {
        CompletableFuture<Map<String, String>> seen = new CompletableFuture<>();
        start((u, p, meta) -> {
            seen.complete(meta);
            return CompletableFuture.completedFuture(AuthDecision.granted(u));
        }, b -> b);
        var c = client();
        c.greet(0x02);
        assertThat(c.auth("bob", "x")).isZero();
        Map<String, String> meta = seen.get(10, TimeUnit.SECONDS);
        assertThat(meta).containsEntry("local_address", label)
                .containsEntry("peer_address", "127.0.0.1:" + c.socket.getLocalPort());
    }

    @Test
    void clientNotInAllowedClientsIsClosedWithoutAByte() throws Exception {
        start(null, b -> b.allowedClients(CidrSet.of("127.0.0.2/32")));
        Socket s = new Socket();
        s.bind(new InetSocketAddress("127.0.0.3", 0));
        var c = new Socks5TestClient(s, proxy);
        closeables.add(c);
        c.send(5, 1, 0);
        assertThat(c.closedWithoutBytes()).isTrue();
        assertThat(m("proxy_connections_accepted_total")).isZero();

        Socket allowed = new Socket();
        allowed.bind(new InetSocketAddress("127.0.0.2", 0));
        var ok = new Socks5TestClient(allowed, proxy);
        closeables.add(ok);
        assertThat(ok.greet(0x00)).isZero();
    }

    @Test
    void bindOfASourceNotAllowedIs02() throws Exception {
        start(null, b -> b.allowedSourceAddresses(CidrSet.of("127.0.0.9")));
        var c = client();
        c.greet(0x00);
        assertThat(c.request(BIND, new InetSocketAddress("127.0.0.10", 0)).rep()).isEqualTo(0x02);
        assertThat(c.closedWithoutBytes()).isTrue();
        var ok = client();
        ok.greet(0x00);
        assertThat(ok.request(BIND, new InetSocketAddress("127.0.0.9", 0)).rep()).isZero();
    }

    @Test
    void connectToAPortNotAllowedIs02() throws Exception {
        var target = target(LO);
        start(null, b -> b.allowedDestinationPorts(Set.of(25)));
        var c = client();
        c.greet(0x00);
        assertThat(c.request(CONNECT, target.address()).rep()).isEqualTo(0x02);
        assertThat(c.closedWithoutBytes()).isTrue();
        assertThat(metric(registry, "proxy_outbound_connections_total", Map.of("listener", label))).isZero();
    }

    @Test
    void identityRulesApplyOnTopOfListenerRules() throws Exception {
        var target = target(LO);
        int port = target.address().getPort();
        start(alice, b -> b.identityRules(Map.of("alice", new IdentityRules(CidrSet.of("127.0.0.9"), Set.of(25)))));
        var c = client();
        c.greet(0x02);
        c.auth("alice", "secret");
        assertThat(c.request(BIND, new InetSocketAddress("127.0.0.10", 0)).rep()).isEqualTo(0x02);
        var c2 = client();
        c2.greet(0x02);
        c2.auth("alice", "secret");
        assertThat(c2.request(BIND, new InetSocketAddress("127.0.0.9", 0)).rep()).isZero();
        assertThat(c2.request(CONNECT, new InetSocketAddress(LO, port)).rep()).isEqualTo(0x02);
    }

    @Test
    void shutdownWaitsForRelaysThenCloses() throws Exception {
        start();
        var target = target(LO);
        var c = client();
        c.greet(0x00);
        assertThat(c.request(CONNECT, target.address()).rep()).isZero();
        assertThat(server.activeSessions()).isEqualTo(1);
        server.shutdown(Duration.ofMillis(200));
        assertThat(c.readToEof()).isEmpty();
        assertThat(server.activeSessions()).isZero();
        server = null;
    }

    @Test
    void connectOfTheOtherFamilyAfterBindIs01() throws Exception {
        start();
        var target = target(InetAddress.getByName("::1"));
        var c = client();
        c.greet(0x00);
        assertThat(c.request(BIND, new InetSocketAddress("127.0.0.9", 0)).rep()).isZero();
        assertThat(c.request(CONNECT, target.address()).rep()).isEqualTo(0x01);
        assertThat(c.closedWithoutBytes()).isTrue();
    }

    @Test
    void shutdownLetsARelayInProgressFinishWithinTheGrace() throws Exception {
        start();
        var target = target(LO);
        var c = client();
        c.greet(0x00);
        assertThat(c.request(CONNECT, target.address()).rep()).isZero();
        CompletableFuture<Long> stopped = CompletableFuture.supplyAsync(() -> {
            long t0 = System.nanoTime();
            server.shutdown(Duration.ofSeconds(30));
            return System.nanoTime() - t0;
        });
        // No new clients once shutdown began...
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            try (Socket s = new Socket()) {
                s.connect(proxy, 1000);
                return false;
            } catch (IOException refused) {
                return true;
            }
        });
        // ...but the session in progress still relays and ends normally.
        c.out.write("late".getBytes());
        c.socket.shutdownOutput();
        assertThat(new String(c.readToEof())).isEqualTo("late");
        assertThat(Duration.ofNanos(stopped.get(30, TimeUnit.SECONDS))).isLessThan(Duration.ofSeconds(25));
        await().atMost(Duration.ofSeconds(10)).until(() -> m("proxy_connections_completed_total") == 1);
        server = null;
    }

    @Test
    void anIdleRelayOutlivesTheStepTimeout() throws Exception {
        start(null, b -> b.timeout(Duration.ofMillis(300)));
        var target = target(LO);
        var c = client();
        c.greet(0x00);
        assertThat(c.request(CONNECT, target.address()).rep()).isZero();
        Thread.sleep(1200); // idle for four step timeouts: the relay phase has no idle timeout
        c.out.write("still here".getBytes());
        c.socket.shutdownOutput();
        assertThat(new String(c.readToEof())).isEqualTo("still here");
    }

    /** Keepalive is visible in the kernel's socket table as a keepalive timer on both proxy sockets. */
    @Test
    @org.junit.jupiter.api.condition.EnabledIf("ssAvailable")
    void bothProxySocketsHaveTcpKeepalive() throws Exception {
        start(null, b -> b.tcpKeepalive(new dev.sluice.net.TcpKeepalive(true, Duration.ofSeconds(120), Duration.ofSeconds(10), 3)));
        var target = target(LO);
        var c = client();
        c.greet(0x00);
        var reply = c.request(CONNECT, target.address());
        assertThat(reply.rep()).isZero();
        String accepted = PROXY_IP + ":" + proxy.getPort() + " ";
        String outbound = reply.bound().getAddress().getHostAddress() + ":" + reply.bound().getPort() + " ";
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            String table = ss();
            assertThat(table.lines().filter(l -> l.contains(accepted) && l.contains("timer:(keepalive"))).hasSize(1);
            assertThat(table.lines().filter(l -> l.contains(outbound) && l.contains("127.0.0.72:" + target.address().getPort())
                    && l.contains("timer:(keepalive"))).hasSize(1);
        });
        // The first probe is due after the configured idle time (120 s), not the kernel default (2 h). The accepted
        // socket's line is the one with the timer: the test client's own socket names the same address as its peer.
        assertThat(ss().lines().filter(l -> l.contains(accepted) && l.contains("timer:(keepalive")).findFirst()
                .orElseThrow()).containsPattern("keepalive,(1min|[0-9]+sec)");
    }

    static boolean ssAvailable() {
        return java.nio.file.Files.isExecutable(java.nio.file.Path.of("/usr/bin/ss")) || java.nio.file.Files.isExecutable(java.nio.file.Path.of("/bin/ss"));
    }

    static String ss() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ss", "-tnoH", "state", "established").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        p.waitFor();
        // io_uring's sockets are IPv6 ones carrying IPv4: ss shows [::ffff:a.b.c.d]:port for a.b.c.d:port
        return out.replaceAll("\\[::ffff:([0-9.]+)]", "$1");
    }
}
