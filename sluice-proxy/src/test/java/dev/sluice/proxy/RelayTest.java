package dev.sluice.proxy;

import static dev.sluice.proxy.TestSupport.metric;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Bulk data both ways through each relay path, with half-close in both directions, and the byte metrics. */
class RelayTest {
    static final int SIZE = 8 * 1024 * 1024;
    final PrometheusRegistry registry = new PrometheusRegistry();
    ProxyServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.shutdown(Duration.ZERO);
        }
    }

    static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] sha256(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }

    /** Target: read the client's bytes to EOF, then answer with its own bytes and half-close. */
    static Object readAllThenAnswer(Socket s) {
        try {
            byte[] got = s.getInputStream().readAllBytes();
            s.getOutputStream().write(random(2, SIZE));
            s.shutdownOutput();
            return sha256(got);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @ParameterizedTest(name = "splice={0} tls={1}")
    @CsvSource({"true,false,splice", "false,false,copy", "true,true,copy"})
    void relaysEightMegabytesEachWayAndHalfClosesBothDirections(boolean splice, boolean tls, String path) throws Exception {
        bulk(splice, tls, path);
    }

    /**
     * Regression for the Netty 4.2.18 epoll bug worked around by {@link EpollInterestGuard}: writing to a client
     * that has half-closed, fast enough to fill its socket buffer, failed in about a third of the runs.
     */
    @org.junit.jupiter.api.RepeatedTest(12)
    void copyRelayKeepsWritingToAHalfClosedClientUnderBackPressure() throws Exception {
        bulk(false, false, "copy");
    }

    private void bulk(boolean splice, boolean tls, String path) throws Exception {
        InetAddress proxyIp = InetAddress.getByName("127.0.0.81");
        server = new ProxyServer(List.of(ProxyListenerConfig.builder(new InetSocketAddress(proxyIp, 0))
                .useSplice(splice).useTls(tls).hostname("proxy.test")
                .allowedDestinations(ProxyServerTest.LOOPBACK).build()), null, registry);
        if (splice) {
            server.transport(ProxyTransport.EPOLL_OR_NIO); // splice is epoll's; io_uring copies every byte
        }
        InetSocketAddress proxy = server.start().get(0);
        String label = "127.0.0.81:" + proxy.getPort();
        try (var target = new TestSupport.Target(InetAddress.getByName("127.0.0.82"), RelayTest::readAllThenAnswer);
                var c = new Socks5TestClient(tls ? tlsSocket(proxy) : new Socket(), proxy)) {
            assertThat(c.greet(0)).isZero();
            assertThat(c.request(Socks5TestClient.CONNECT, target.address()).rep()).isZero();
            byte[] up = random(1, SIZE);
            c.out.write(up);
            c.out.flush();
            c.socket.shutdownOutput();
            byte[] down = c.readToEof();
            assertThat(down.length).isEqualTo(SIZE);
            assertThat(Arrays.equals(down, random(2, SIZE))).as("bytes from the destination arrive intact").isTrue();
            assertThat((byte[]) target.firstResult.get(30, TimeUnit.SECONDS)).isEqualTo(sha256(up));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> metric(registry, "proxy_connections_completed_total", Map.of("listener", label)) == 1);
        assertThat(metric(registry, "proxy_bytes_client_to_dest_total", Map.of("listener", label))).isEqualTo(SIZE);
        assertThat(metric(registry, "proxy_bytes_dest_to_client_total", Map.of("listener", label))).isEqualTo(SIZE);
        for (String direction : List.of("client_to_dest", "dest_to_client")) {
            assertThat(relayed(label, "copy", direction) + relayed(label, "splice", direction)).as(direction).isEqualTo(SIZE);
            if (path.equals("splice")) {
                // The first 64 KiB (and the tail read after EOF) are copied; the bulk goes through the pipe.
                assertThat(relayed(label, "splice", direction)).as(direction + " spliced").isGreaterThan(SIZE / 4);
            } else {
                assertThat(relayed(label, "splice", direction)).as(direction + " spliced").isZero();
            }
        }
        assertThat(metric(registry, "proxy_active_connections", Map.of("listener", label))).isZero();
        assertThat(metric(registry, "proxy_connections_failed_total", Map.of("listener", label))).isZero();
    }

    static Socket tlsSocket(InetSocketAddress proxy) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] c, String a) {}
            public void checkServerTrusted(X509Certificate[] c, String a) {}
            public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        }}, null);
        Socket plain = new Socket();
        plain.connect(proxy, 10_000);
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(plain, "proxy.test", proxy.getPort(), true);
        s.startHandshake();
        return s;
    }

    /** Target: speak first and half-close, then keep reading what the client still sends. */
    static Object speakFirstThenListen(Socket s) {
        try {
            s.getOutputStream().write("220 banner\r\n".getBytes());
            s.shutdownOutput();
            return s.getInputStream().readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @ParameterizedTest(name = "splice={0}")
    @CsvSource({"true,splice", "false,copy"})
    void destinationHalfClosingFirstStillLetsTheClientFinish(boolean splice, String path) throws Exception {
        server = new ProxyServer(List.of(ProxyListenerConfig.builder(new InetSocketAddress("127.0.0.83", 0))
                .useSplice(splice).allowedDestinations(ProxyServerTest.LOOPBACK).build()), null, registry);
        if (splice) {
            server.transport(ProxyTransport.EPOLL_OR_NIO);
        }
        InetSocketAddress proxy = server.start().get(0);
        String label = "127.0.0.83:" + proxy.getPort();
        byte[] up = random(3, 1024 * 1024);
        try (var target = new TestSupport.Target(InetAddress.getByName("127.0.0.84"), RelayTest::speakFirstThenListen);
                var c = new Socks5TestClient(proxy)) {
            c.greet(0);
            assertThat(c.request(Socks5TestClient.CONNECT, target.address()).rep()).isZero();
            assertThat(new String(c.readToEof())).isEqualTo("220 banner\r\n");
            c.out.write(up);
            c.socket.shutdownOutput();
            assertThat((byte[]) target.firstResult.get(30, TimeUnit.SECONDS)).isEqualTo(up);
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> metric(registry, "proxy_connections_completed_total", Map.of("listener", label)) == 1);
        assertThat(relayed(label, "copy", "client_to_dest") + relayed(label, "splice", "client_to_dest")).isEqualTo(up.length);
        if (path.equals("splice")) {
            assertThat(relayed(label, "splice", "client_to_dest")).as("the 1 MiB upload is spliced").isPositive();
        }
        // A 12-byte banner is below the splice threshold: copied on either kind of listener.
        assertThat(relayed(label, "copy", "dest_to_client")).isEqualTo(12);
        assertThat(relayed(label, "splice", "dest_to_client")).isZero();
    }

    private double relayed(String label, String path, String direction) {
        return metric(registry, "proxy_relay_bytes_total", Map.of("listener", label, "path", path, "direction", direction));
    }
}
