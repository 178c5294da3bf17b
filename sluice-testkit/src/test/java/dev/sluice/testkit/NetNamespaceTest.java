package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class NetNamespaceTest {
    @RegisterExtension
    final Peers peers = new Peers();

    @AfterEach
    void nothingLeftRunning() throws Exception {
        peers.close();
        assertThat(Peers.livePids()).isEmpty();
    }

    @Test
    void peerInANamespaceIsReachableOnlyInside() {
        NetNamespace ns = peers.add(NetNamespace.create().addAddress("10.0.0.1/32"));
        SmtpSink sink = peers.add(SmtpSink.builder().host("127.0.0.1").namespace(ns).start());

        assertThat(Net.accepts("127.0.0.1", sink.port())).as("not reachable from the host namespace").isFalse();
        assertThat(ns.accepts("127.0.0.1", sink.port())).isTrue();
        ToolResult r = CommandTool.SWAKS.run(ns, java.util.List.of("--server", sink.hostPort(), "--local-interface", "10.0.0.1",
                "--from", "s@example.test", "--to", "r@example.test"));

        assertThat(r.exitCode()).as(r.describe()).isZero();
        await().atMost(Duration.ofSeconds(30)).until(() -> sink.messages().size() == 1);
        assertThat(sink.messages().getFirst().clientAddr()).isEqualTo("10.0.0.1");
    }

    @Test
    void haproxyAndTargetInsideANamespaceUseTheHeadersSource() {
        NetNamespace ns = peers.add(NetNamespace.create().addAddress("10.0.0.1/32").addAddress("10.0.0.9/32"));
        SmtpSink sink = peers.add(SmtpSink.builder().host("10.0.0.1").namespace(ns).start());
        HaproxyForward haproxy = peers.add(HaproxyForward.builder().host("10.0.0.1").namespace(ns).start());

        ToolResult r = CommandTool.SWAKS.run(ns, java.util.List.of("--server", haproxy.hostPort(), "--from", "s@example.test",
                "--to", "r@example.test", "--proxy-version", "2", "--proxy-family", "AF_INET", "--proxy-source",
                "10.0.0.9", "--proxy-source-port", "40005", "--proxy-dest", "10.0.0.1", "--proxy-dest-port",
                Integer.toString(sink.port())));

        assertThat(r.exitCode()).as(r.describe() + "\n" + haproxy.describe()).isZero();
        assertThat(sink.awaitMessages(1).getFirst().clientAddr()).isEqualTo("10.0.0.9");
    }

    @Test
    void addressesAndRoutesAreAddedAndTheNamespaceIsDeletedOnClose() {
        NetNamespace ns = NetNamespace.create();
        try {
            ns.addAddress("10.0.0.1/32").addAddress("fd00::1/128").addRoute("10.9.0.0/16", "dev", "lo");
            assertThat(ns.exists()).isTrue();
            assertThat(ns.exec("ip", "addr", "show", "dev", "lo").stdout()).contains("10.0.0.1/32", "fd00::1/128");
            assertThat(ns.exec("ip", "route", "show").stdout()).contains("10.9.0.0/16");
        } finally {
            ns.close();
        }
        assertThat(ns.exists()).isFalse();
    }

    @Test
    void closingAPeerInANamespaceLeavesNoProcess() {
        NetNamespace ns = peers.add(NetNamespace.create());
        Microsocks socks = Microsocks.builder().namespace(ns).start();
        ProcessHandle handle = ProcessHandle.of(socks.pid()).orElseThrow();
        assertThat(handle.info().command()).hasValueSatisfying(c -> assertThat(c).endsWith("microsocks"));

        socks.close();

        assertThat(handle.isAlive()).isFalse();
        assertThat(ns.accepts("127.0.0.1", socks.port())).isFalse();
    }
}
