package dev.sluice.bench.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.net.Transports;
import io.netty.channel.EventLoopGroup;
import java.io.File;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EgressLoadTest {
    private EventLoopGroup loops;
    private Process sink;

    @BeforeEach
    void loops() {
        loops = Transports.newEventLoopGroup(2);
    }

    @AfterEach
    void stop() throws Exception {
        if (sink != null) {
            sink.destroy();
            sink.waitFor(10, TimeUnit.SECONDS);
        }
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void messagesHaveExactlyTheAskedSizeAndNoLeadingDots() {
        for (int size : new int[] {200, 201, 10_240, 102_400}) {
            byte[] m = Messages.of(size);
            assertThat(m).hasSize(size);
            String text = new String(m, StandardCharsets.US_ASCII);
            assertThat(text).endsWith("\r\n").doesNotContain("\r\n.");
        }
    }

    @Test
    void sourcesRangeSpreadsOverConnections() {
        List<InetAddress> sources = LoadSpec.sources("127.0.0.2-9");
        assertThat(sources).hasSize(8);
        var route = RouteKind.SOCKS5_BIND.route(9, "127.0.0.1:1080", sources);
        assertThat(((dev.sluice.egress.connect.ProxyHop.Socks5) route.hop()).bindSource().getHostAddress())
                .isEqualTo("127.0.0.3");
    }

    @Test
    void deliversEveryMessageToSmtpSinkAndReconnectsAfterMaxDeliveries() throws Exception {
        assumeTrue(new File("/usr/sbin/smtp-sink").canExecute(), "smtp-sink (postfix) is not installed");
        int port = freePort();
        sink = new ProcessBuilder("/usr/sbin/smtp-sink", "-u", "nobody", "127.0.0.1:" + port, "64")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> accepts(port));
        LoadSpec spec = LoadSpec.parse(new String[] {"--target", "127.0.0.1:" + port, "--connections", "4",
                "--max-deliveries", "10", "--sizes", "2048", "--messages", "120", "--warmup", "0",
                "--max-seconds", "120", "--watch", "sink=" + sink.pid()});

        PhaseResult r = new EgressLoad(spec, loops).run(spec.phases().getFirst());

        assertThat(r.messages()).isEqualTo(120);
        assertThat(r.errors()).isZero();
        // 120 messages, 10 per connection: at least 12 connections were opened
        assertThat(r.connections()).isGreaterThanOrEqualTo(12);
        assertThat(r.watchedCpu()).containsKey("sink");
        assertThat(r.line()).startsWith("RESULT path=direct size=2048 messages=120 ").contains(" errors=0 ");
    }

    @Test
    void aProxyThatIsDownIsReportedAsErrorsNotAsDeliveries() throws Exception {
        int deadPort = freePort(); // nothing listens there
        LoadSpec spec = LoadSpec.parse(new String[] {"--target", "127.0.0.1:25", "--route", "socks5",
                "--proxy", "127.0.0.1:" + deadPort, "--connections", "2", "--sizes", "1024", "--messages", "10",
                "--warmup", "0", "--max-seconds", "120"});

        PhaseResult r = new EgressLoad(spec, loops).run(spec.phases().getFirst());

        assertThat(r.messages()).isZero();
        assertThat(r.errors()).isPositive();
        assertThat(r.timedOut()).isFalse();
        assertThat(r.watchedCpu()).isEqualTo(Map.of());
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
