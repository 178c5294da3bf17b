package dev.sluice.egress.connect;

import dev.sluice.policy.egress.SuspensionRule;

import static dev.sluice.egress.Metrics.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.sluice.egress.dns.Resolver;
import dev.sluice.egress.dns.TestZoneResolver;
import dev.sluice.egress.health.HealthRules;
import dev.sluice.egress.health.SourceHealth;
import dev.sluice.egress.route.RouteHealth;
import dev.sluice.net.CidrSet;
import dev.sluice.net.IpLiterals;
import dev.sluice.net.Tls;
import dev.sluice.net.Transports;
import dev.sluice.proxy.AuthDecision;
import dev.sluice.proxy.Authenticator;
import dev.sluice.proxy.ProxyListenerConfig;
import dev.sluice.proxy.ProxyServer;
import dev.sluice.testkit.Dante;
import dev.sluice.testkit.FreePorts;
import dev.sluice.testkit.HaproxyForward;
import dev.sluice.testkit.Microsocks;
import dev.sluice.testkit.Peers;
import dev.sluice.testkit.SmtpSink;
import io.netty.channel.EventLoopGroup;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The connector against real peers: smtp-sink as destination, sluice proxy, HAProxy, microsocks, dante. */
class ConnectorTest {
    private static EventLoopGroup group;

    @RegisterExtension
    final Peers peers = new Peers();

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final SourceHealth health = new SourceHealth(registry);
    private final RouteHealth routes = new RouteHealth();
    private final ConnectMetrics metrics = new ConnectMetrics(registry);
    private Resolver resolver = TestZoneResolver.of();
    private final Connector connector = new Connector(() -> resolver, health, routes, metrics);
    private final List<ProxyServer> proxies = new ArrayList<>();

    @BeforeAll
    static void loops() {
        group = Transports.newEventLoopGroup(2);
    }

    @AfterAll
    static void stopLoops() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @AfterEach
    void stopProxies() {
        proxies.forEach(ProxyServer::close);
    }

    private static InetAddress ip(String text) {
        return IpLiterals.parse(text).orElseThrow();
    }

    private CompletableFuture<Connected> start(EgressRoute route, InetSocketAddress destination) {
        return connector.connect(route, destination, Duration.ofSeconds(20), group.next());
    }

    private Connected connect(EgressRoute route, InetSocketAddress destination) throws Exception {
        return start(route, destination).get();
    }

    private ConnectFailure failure(EgressRoute route, InetSocketAddress destination) throws Exception {
        try {
            Connected c = start(route, destination).get();
            c.channel().close();
            return fail("connected although it should have failed: " + c.source());
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(ConnectFailedException.class);
            return ConnectFailedException.failureOf(e);
        }
    }

    /** A sluice proxy that may relay to loopback, where the test sinks are (it refuses this host by default). */
    private String sluiceProxy(ProxyListenerConfig.Builder listener, Authenticator auth) throws Exception {
        listener.allowedDestinations(CidrSet.of("127.0.0.0/8", "::1"));
        ProxyServer p = new ProxyServer(List.of(listener.build()), auth, new PrometheusRegistry());
        proxies.add(p);
        return IpLiterals.format(p.start().getFirst());
    }

    private String sluiceProxy() throws Exception {
        return sluiceProxy(ProxyListenerConfig.builder(new InetSocketAddress("127.0.0.1", 0)), null);
    }

    private static String deliveredFrom(SmtpSink sink) {
        return sink.awaitMessages(1).getFirst().clientAddr();
    }

    @Test
    void directFromTheSourceAddress() throws Exception {
        SmtpSink sink = peers.add(SmtpSink.start());
        Connected c = connect(new EgressRoute("ip-5", ip("127.0.0.5"), new ProxyHop.Direct()), sink.address());
        assertThat(c.source().address()).startsWith("127.0.0.5:");
        assertThat(c.source().server()).isNull();
        assertThat(c.source().protocol()).isNull();
        SmtpProbe.sendOne(c);
        assertThat(deliveredFrom(sink)).isEqualTo("127.0.0.5");
    }

    @Test
    void socks5BindThenConnectThroughSluiceProxy() throws Exception {
        SmtpSink sink = peers.add(SmtpSink.start());
        String proxy = sluiceProxy();
        Connected c = connect(new EgressRoute("ip-7", null, new ProxyHop.Socks5(proxy, ip("127.0.0.7"))), sink.address());
        assertThat(c.source().address()).startsWith("127.0.0.7:").isNotEqualTo("127.0.0.7:0");
        assertThat(c.source().server()).isEqualTo(proxy);
        assertThat(c.source().protocol()).isEqualTo("socks5");
        SmtpProbe.sendOne(c);
        assertThat(deliveredFrom(sink)).isEqualTo("127.0.0.7");
    }

    @Test
    void haproxyHeaderMakesHaproxyConnectFromTheProxySource() throws Exception {
        SmtpSink sink = peers.add(SmtpSink.start());
        HaproxyForward haproxy = peers.add(HaproxyForward.start());
        Connected c = connect(new EgressRoute("ip-9", null, new ProxyHop.HaProxy(haproxy.hostPort(), ip("127.0.0.9"))),
                sink.address());
        assertThat(c.source()).isEqualTo(new SourceAddress("127.0.0.9:0", haproxy.hostPort(), "haproxy"));
        SmtpProbe.sendOne(c);
        assertThat(deliveredFrom(sink)).isEqualTo("127.0.0.9");
    }

    @Test
    void stockSocksServersWithConnectAlone() throws Exception {
        SmtpSink sink = peers.add(SmtpSink.start());
        Microsocks microsocks = peers.add(Microsocks.start());
        Dante dante = peers.add(Dante.start());
        for (String server : List.of(microsocks.hostPort(), dante.hostPort())) {
            Connected c = connect(new EgressRoute("stock", null, new ProxyHop.Socks5(server, null)), sink.address());
            assertThat(c.source().server()).isEqualTo(server);
            assertThat(c.source().protocol()).isEqualTo("socks5");
            if (server.equals(microsocks.hostPort())) { // its CONNECT reply says BND 0.0.0.0:0
                assertThat(c.source().address()).isNull();
                assertThat(c.source().describe()).isEqualTo("source address not reported by the proxy");
            }
            SmtpProbe.sendOne(c);
        }
        assertThat(sink.awaitMessages(2)).extracting(m -> m.clientAddr()).containsOnly("127.0.0.1");
    }

    @Test
    void bindThenConnectAgainstMicrosocksIsAClearProxyBindError() throws Exception {
        SmtpSink sink = peers.add(SmtpSink.start());
        Microsocks microsocks = peers.add(Microsocks.start());
        ConnectFailure f = failure(new EgressRoute("kumo-form", null, new ProxyHop.Socks5(microsocks.hostPort(), ip("127.0.0.7"))),
                sink.address());
        assertThat(f).isInstanceOf(ConnectFailure.ProxyBindError.class);
        assertThat(f.message()).startsWith("failed to perform proxy handshake with " + microsocks.hostPort())
                .contains("The proxy server failed to bind 127.0.0.7 via Socks5 { server: " + microsocks.hostPort())
                .endsWith("CommandNotSupported (reply 0x07)");
    }

    @Test
    void rfc1929RightAndWrongCredentials() throws Exception {
        SmtpSink sink = peers.add(SmtpSink.start());
        Authenticator auth = (user, pass, meta) -> CompletableFuture.completedFuture(
                "alice".equals(user) && "s3cret".equals(pass) ? AuthDecision.granted("alice") : AuthDecision.denied());
        String proxy = sluiceProxy(ProxyListenerConfig.builder(new InetSocketAddress("127.0.0.1", 0)).requireAuth(true), auth);

        Connected ok = connect(new EgressRoute("auth", null, new ProxyHop.Socks5(proxy, ip("127.0.0.7"), "alice",
                "s3cret".getBytes(StandardCharsets.UTF_8), null)), sink.address());
        SmtpProbe.sendOne(ok);
        assertThat(deliveredFrom(sink)).isEqualTo("127.0.0.7");

        ConnectFailure wrong = failure(new EgressRoute("auth", null, new ProxyHop.Socks5(proxy, ip("127.0.0.7"), "alice",
                "nope".getBytes(StandardCharsets.UTF_8), null)), sink.address());
        assertThat(wrong).isInstanceOf(ConnectFailure.Other.class);
        assertThat(wrong.message()).endsWith(": SOCKS5 username/password was incorrect");

        ConnectFailure none = failure(new EgressRoute("auth", null, new ProxyHop.Socks5(proxy, ip("127.0.0.7"))), sink.address());
        assertThat(none.message()).endsWith(": incompatible SOCKS5 authentication NoAcceptableMethod");
    }

    @Test
    void microsocksWithCredentials() throws Exception {
        SmtpSink sink = peers.add(SmtpSink.start());
        Microsocks microsocks = peers.add(Microsocks.builder().credentials("bob", "pw1").start());
        Connected c = connect(new EgressRoute("ms", null, new ProxyHop.Socks5(microsocks.hostPort(), null, "bob",
                "pw1".getBytes(StandardCharsets.UTF_8), null)), sink.address());
        SmtpProbe.sendOne(c);
        assertThat(deliveredFrom(sink)).isEqualTo("127.0.0.1");
    }

    @Test
    void proxyDownIsAProxyConnectErrorThatSuspendsTheSource() throws Exception {
        SmtpSink sink = peers.add(SmtpSink.start());
        String down = "127.0.0.1:" + FreePorts.tcp("127.0.0.1");
        EgressRoute route = new EgressRoute("down", null, new ProxyHop.Socks5(down, ip("127.0.0.7")),
                new HealthRules(null, SuspensionRule.immediate(Duration.ofMinutes(5))));
        ConnectFailure f = failure(route, sink.address());
        assertThat(f).isInstanceOfSatisfying(ConnectFailure.ConnectError.class, c -> assertThat(c.isProxy()).isTrue());
        assertThat(f.message()).startsWith("failed to connect to " + down + " Socks5 {")
                .endsWith(": Connection refused (os error 111)");
        assertThat(FailureSummary.summarize(List.of(f))).isEqualTo(FailureSummary.PREFIX
                + "All failures are related to proxy connection issues. Is the proxy infrastructure online and healthy? "
                + f.message());
        assertThat(metrics.proxyConnectionFailures()).isEqualTo(1);
        assertThat(value(registry, "egress_source_connection_failures_total", "source", "down", "kind", "ProxyUnhealthy")).isEqualTo(1);
        assertThat(value(registry, "egress_source_health_suspensions_total", "source", "down", "reason", "ProxyUnhealthy")).isEqualTo(1);
        assertThat(value(registry, "egress_source_health_suspended", "source", "down", "reason", "ProxyUnhealthy")).isEqualTo(1);
        assertThat(health.isSuspended("down")).isTrue();

        ConnectFailure fast = failure(route, sink.address());
        assertThat(fast.message()).isEqualTo("source down is unhealthy and suspended");
        assertThat(metrics.proxyConnectionFailures()).isEqualTo(1); // nothing was attempted
        assertThat(value(registry, "egress_source_connection_failures_total", "source", "down", "kind", "ProxyUnhealthy")).isEqualTo(1);
    }

    @Test
    void proxyCannotBindANonLocalAddress() throws Exception {
        SmtpSink sink = peers.add(SmtpSink.start());
        String proxy = sluiceProxy();
        ConnectFailure f = failure(new EgressRoute("unplumbed-on-proxy", null, new ProxyHop.Socks5(proxy, ip("192.0.2.1"))),
                sink.address());
        assertThat(f).isInstanceOf(ConnectFailure.ProxyBindError.class);
        assertThat(f.message()).contains("The proxy server failed to bind 192.0.2.1 via").endsWith("GeneralFailure (reply 0x01)");
        assertThat(FailureSummary.summarize(List.of(f))).startsWith(FailureSummary.PREFIX
                + "All failures are related to the proxy server having an unplumbed source address. "
                + "Are the network interfaces provisioned correctly on the proxy? failed to perform proxy handshake with ");
        assertThat(value(registry, "egress_source_connection_failures_total", "source", "unplumbed-on-proxy", "kind", "ProxyUnhealthy"))
                .isEqualTo(1);
        assertThat(metrics.proxyConnectionFailures()).isZero(); // the TCP connection to the proxy worked
    }

    @Test
    void unplumbedLocalSourceAddress() throws Exception {
        SmtpSink sink = peers.add(SmtpSink.start());
        EgressRoute route = new EgressRoute("bad-ip", ip("192.0.2.1"), new ProxyHop.Direct(),
                new HealthRules(SuspensionRule.immediate(Duration.ofMinutes(1)), null));
        ConnectFailure f = failure(route, sink.address());
        assertThat(f).isInstanceOfSatisfying(ConnectFailure.BindError.class, b -> assertThat(b.unplumbed()).isTrue());
        assertThat(f.message()).isEqualTo("bind 192.0.2.1 for bad-ip failed: Cannot assign requested address (os error 99)"
                + " while attempting to connect to " + sink.hostPort() + " transport=" + sink.hostPort() + " proto=None");
        assertThat(FailureSummary.summarize(List.of(f))).startsWith(FailureSummary.PREFIX
                + "All failures are related to having an unplumbed source address. Are the network interfaces provisioned correctly? bind ");
        assertThat(metrics.bindFailures()).isEqualTo(1);
        assertThat(value(registry, "egress_source_health_suspended", "source", "bad-ip", "reason", "Unplumbed")).isEqualTo(1);
    }

    @Test
    void proxyNameWithTwoAddressesWhereTheFirstRefuses() throws Exception {
        SmtpSink sink = peers.add(SmtpSink.start());
        String proxy = sluiceProxy();
        int port = Integer.parseInt(proxy.substring(proxy.indexOf(':') + 1));
        resolver = TestZoneResolver.of("$ORIGIN proxy.test.\n@ A 127.0.0.2\n@ A 127.0.0.1\n");
        EgressRoute route = new EgressRoute("named", null, new ProxyHop.Socks5("proxy.test:" + port, ip("127.0.0.7")));

        Connected c = connect(route, sink.address());
        assertThat(c.source().server()).isEqualTo("127.0.0.1:" + port);
        SmtpProbe.sendOne(c);
        assertThat(deliveredFrom(sink)).isEqualTo("127.0.0.7");
        assertThat(metrics.proxyConnectionFailures()).isEqualTo(1);
        assertThat(routes.recentlyFailed(new InetSocketAddress("127.0.0.2", port))).isTrue();

        // the refusing address is now tried last: no new failure
        connect(route, sink.address()).channel().close().sync();
        assertThat(metrics.proxyConnectionFailures()).isEqualTo(1);
    }

    @Test
    void allCandidatesFailingAreAggregated() throws Exception {
        SmtpSink sink = peers.add(SmtpSink.start());
        int port = FreePorts.tcp("127.0.0.1");
        resolver = TestZoneResolver.of("$ORIGIN two.test.\n@ A 127.0.0.2\n@ A 127.0.0.3\n");
        ConnectFailure f = failure(new EgressRoute("two", null, new ProxyHop.HaProxy("two.test:" + port, ip("127.0.0.9"))),
                sink.address());
        assertThat(f).isInstanceOfSatisfying(ConnectFailure.ConnectError.class, c -> assertThat(c.isProxy()).isTrue());
        assertThat(f.message()).startsWith("failed to connect via any of 2 candidate(s) for source two: 127.0.0.2:" + port
                + ": failed to connect to 127.0.0.2:" + port + " HA { server: 127.0.0.2:" + port + ", source: 127.0.0.9 }:"
                + " Connection refused (os error 111); 127.0.0.3:" + port + ": failed to connect to 127.0.0.3:" + port);
        assertThat(FailureSummary.classify(List.of(f))).contains(FailureSummary.SummaryClass.ProxyConnect);
    }

    @Test
    void addressFamilyTexts() throws Exception {
        InetSocketAddress v6 = new InetSocketAddress(ip("::1"), 25);
        ConnectFailure socks = failure(new EgressRoute("v4", null, new ProxyHop.Socks5("127.0.0.1:1080", ip("127.0.0.7"))), v6);
        assertThat(socks.message()).isEqualTo("Skipping v4 because socks5_proxy_source_address 127.0.0.7 address family"
                + " does not match the destination address family [::1]:25");
        ConnectFailure ha = failure(new EgressRoute("v4", null, new ProxyHop.HaProxy("127.0.0.1:2526", ip("127.0.0.9"))), v6);
        assertThat(ha.message()).isEqualTo("Skipping v4 because ha_proxy_source_address 127.0.0.9 address family"
                + " does not match the destination address family [::1]:25");

        resolver = TestZoneResolver.of("$ORIGIN v6only.test.\n@ AAAA ::1\n");
        ConnectFailure filtered = failure(new EgressRoute("v4", ip("127.0.0.1"),
                new ProxyHop.Socks5("v6only.test:1080", ip("127.0.0.7"))), new InetSocketAddress(ip("127.0.0.1"), 25));
        assertThat(filtered.message()).isEqualTo("source v4: no socks5_proxy_server candidates remain after filtering"
                + " 1 resolved address(es) to match source_address 127.0.0.1 family");
        assertThat(metrics.proxyConnectionFailures()).isZero();
    }

    @Test
    void tlsToSluiceProxyVerifiedAgainstItsCertificateAndInsecure() throws Exception {
        SmtpSink sink = peers.add(SmtpSink.start());
        Tls.SelfSigned cert = Tls.selfSigned("proxy.test");
        String proxy = sluiceProxy(ProxyListenerConfig.builder(new InetSocketAddress("127.0.0.1", 0)).useTls(true)
                .tlsCertificatePem(cert.certificatePem()).tlsPrivateKeyPem(cert.privateKeyPem()), null);
        int port = Integer.parseInt(proxy.substring(proxy.indexOf(':') + 1));
        resolver = TestZoneResolver.of("$ORIGIN proxy.test.\n@ A 127.0.0.1\n");

        Connected verified = connect(new EgressRoute("tls", null, new ProxyHop.Socks5("proxy.test:" + port, ip("127.0.0.7"),
                null, null, Tls.clientContext(cert.certificatePem()))), sink.address());
        assertThat(verified.source().protocol()).isEqualTo("socks5");
        SmtpProbe.sendOne(verified);

        Connected insecure = connect(new EgressRoute("tls", null, new ProxyHop.Socks5(proxy, ip("127.0.0.8"),
                null, null, Tls.insecureClientContext())), sink.address());
        SmtpProbe.sendOne(insecure);
        assertThat(sink.awaitMessages(2)).extracting(m -> m.clientAddr()).containsExactlyInAnyOrder("127.0.0.7", "127.0.0.8");

        ConnectFailure untrusted = failure(new EgressRoute("tls", null, new ProxyHop.Socks5("proxy.test:" + port, ip("127.0.0.7"),
                null, null, Tls.clientContext(Tls.selfSigned("proxy.test").certificatePem()))), sink.address());
        assertThat(untrusted).isInstanceOf(ConnectFailure.Other.class);
        assertThat(untrusted.message()).contains("TLS handshake failed");
    }

    @Test
    void ipv6ThroughSluiceProxyAndHaproxy() throws Exception {
        SmtpSink sink = peers.add(SmtpSink.builder().host("::1").start());
        String proxy = sluiceProxy();
        Connected socks = connect(new EgressRoute("v6", null, new ProxyHop.Socks5(proxy, ip("::1"))), sink.address());
        assertThat(socks.source().address()).startsWith("[::1]:");
        SmtpProbe.sendOne(socks);

        HaproxyForward haproxy = peers.add(HaproxyForward.start());
        Connected ha = connect(new EgressRoute("v6", null, new ProxyHop.HaProxy(haproxy.hostPort(), ip("::1"))), sink.address());
        assertThat(ha.source()).isEqualTo(new SourceAddress("[::1]:0", haproxy.hostPort(), "haproxy"));
        SmtpProbe.sendOne(ha);
        assertThat(sink.awaitMessages(2)).extracting(m -> m.clientAddr()).containsOnly("ipv6:::1"); // smtp-sink writes IPv6 clients this way
    }

    @Test
    void proxyNamedLocalhostThroughTheSystemResolver() throws Exception {
        SmtpSink sink = peers.add(SmtpSink.start());
        String proxy = sluiceProxy();
        int port = Integer.parseInt(proxy.substring(proxy.indexOf(':') + 1));
        try (var system = new dev.sluice.egress.dns.SystemResolver()) {
            resolver = system;
            // source_address 127.0.0.1 keeps only the IPv4 answers of /etc/hosts for localhost
            Connected c = connect(new EgressRoute("local", ip("127.0.0.1"), new ProxyHop.Socks5("localhost:" + port,
                    ip("127.0.0.7"))), sink.address());
            assertThat(c.source().server()).isEqualTo("127.0.0.1:" + port);
            SmtpProbe.sendOne(c);
        }
        assertThat(deliveredFrom(sink)).isEqualTo("127.0.0.7");
    }

    @Test
    void bindThenConnectAgainstDanteIsAProxyBindErrorToo() throws Exception {
        SmtpSink sink = peers.add(SmtpSink.start());
        Dante dante = peers.add(Dante.start());
        ConnectFailure f = failure(new EgressRoute("kumo-form", null, new ProxyHop.Socks5(dante.hostPort(), ip("127.0.0.7"))),
                sink.address());
        assertThat(f).isInstanceOf(ConnectFailure.ProxyBindError.class);
        assertThat(f.message()).contains("The proxy server failed to bind 127.0.0.7 via Socks5 { server: " + dante.hostPort());
    }
}
