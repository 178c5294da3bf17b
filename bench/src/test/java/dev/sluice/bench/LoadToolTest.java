package dev.sluice.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LoadToolTest {

    private static final InetSocketAddress ANY = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private TargetServer target;

    @BeforeEach
    void startTarget() throws Exception {
        target = new TargetServer(ANY, ANY, ANY, 600);
    }

    @AfterEach
    void stopTarget() throws Exception {
        target.close();
    }

    private static Dialer direct() {
        return new Dialer(Dialer.Mode.DIRECT, null, List.of());
    }

    @Test
    void directBulkMovesData() throws Exception {
        Result r = BulkLoad.run(direct(), target.bulkAddress(), 2, 0.3);
        assertThat(Long.parseLong(r.get("bytes"))).isGreaterThan(1_000_000);
        assertThat(r.get("errors")).isEqualTo("0");
    }

    @Test
    void directSessionsReadTheBannerAndSeeTheHangUp() throws Exception {
        Result r = SessionLoad.run(direct(), target.bannerAddress(), 4, 0.3, 1_000_000);
        assertThat(Long.parseLong(r.get("sessions"))).isPositive();
        assertThat(r.get("errors")).isEqualTo("0");
        assertThat(Double.parseDouble(r.get("p99_ms"))).isGreaterThanOrEqualTo(Double.parseDouble(r.get("p50_ms")));
    }

    @Test
    void sessionCountIsBoundedByMax() throws Exception {
        Result r = SessionLoad.run(direct(), target.bannerAddress(), 2, 600, 10);
        assertThat(r.get("sessions")).isEqualTo("10");
    }

    @Test
    void holdKeepsEverySessionOpenUntilReleased() throws Exception {
        Result r = HoldLoad.run(direct(), target.holdAddress(), 50, 0.1);
        assertThat(r.get("held")).isEqualTo("50");
        assertThat(r.get("alive")).isEqualTo("50");
    }

    @Test
    void bindConnectSendsKumoStyleBindWithSourceThenConnect() throws Exception {
        List<String> requests = new CopyOnWriteArrayList<>();
        try (ServerSocket fakeProxy = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread proxy = Thread.ofPlatform().daemon().start(() -> fakeSocks(fakeProxy, requests));
            Dialer dialer = new Dialer(Dialer.Mode.BIND_CONNECT,
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), fakeProxy.getLocalPort()),
                    Dialer.sources("127.0.0.2-3"));
            InetSocketAddress to = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 2525);

            Result r = SessionLoad.run(dialer, to, 1, 600, 2);

            assertThat(r.get("sessions")).isEqualTo("2");
            assertThat(requests).containsExactly(
                    "050200017f0000020000", "050100017f00000109dd",
                    "050200017f0000030000", "050100017f00000109dd");
            proxy.interrupt();
        }
    }

    /** Two sessions: answers greeting, BIND and CONNECT with success, then plays the target (banner, hang up). */
    private static void fakeSocks(ServerSocket server, List<String> requests) {
        for (int session = 0; session < 2; session++) {
            try (Socket s = server.accept()) {
                DataInputStream in = new DataInputStream(s.getInputStream());
                OutputStream out = s.getOutputStream();
                in.readFully(new byte[3]);
                out.write(new byte[] {5, 0});
                for (int i = 0; i < 2; i++) {
                    byte[] req = new byte[10];
                    in.readFully(req);
                    requests.add(HexFormat.of().formatHex(req));
                    out.write(new byte[] {5, 0, 0, 1, 127, 0, 0, 1, 0, 0});
                }
                out.write(TargetServer.BANNER);
            } catch (Exception e) {
                return;
            }
        }
    }
}
