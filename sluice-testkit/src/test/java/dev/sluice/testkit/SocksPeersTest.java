package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class SocksPeersTest {
    @RegisterExtension
    final Peers peers = new Peers();

    @AfterEach
    void nothingLeftRunning() throws Exception {
        peers.close();
        assertThat(Peers.livePids()).isEmpty();
    }

    @Test
    void microsocksRelaysCurlToTheTarget() throws Exception {
        TcpTarget target = peers.add(new TcpTarget("127.0.0.1"));
        Microsocks socks = peers.add(Microsocks.start());

        ToolResult r = CommandTool.CURL.run("-sS", "--max-time", "20", "--socks5", socks.hostPort(),
                "http://127.0.0.1:" + target.port() + "/");

        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stdout()).isEqualTo("peer=127.0.0.1\n");
    }

    @Test
    void microsocksWithCredentialsAndBindAddress() throws Exception {
        TcpTarget target = peers.add(new TcpTarget("127.0.0.1"));
        Microsocks socks = peers.add(Microsocks.builder().credentials("alice", "s3cret").bindAddress("127.0.0.5")
                .start());
        String url = "http://127.0.0.1:" + target.port() + "/";

        ToolResult denied = CommandTool.CURL.run("-sS", "--max-time", "20", "--socks5", socks.hostPort(), url);
        ToolResult allowed = CommandTool.CURL.run("-sS", "--max-time", "20", "--socks5", "alice:s3cret@" + socks.hostPort(), url);

        assertThat(denied.exitCode()).as(denied.describe()).isEqualTo(97);
        assertThat(allowed.exitCode()).as(allowed.describe()).isZero();
        assertThat(allowed.stdout()).isEqualTo("peer=127.0.0.5\n");
    }

    @Test
    void danteRelaysCurlAndItsWorkersDieOnClose() throws Exception {
        TcpTarget target = peers.add(new TcpTarget("127.0.0.1"));
        Dante dante = Dante.start();
        List<ProcessHandle> all;
        try {
            ToolResult r = CommandTool.CURL.run("-sS", "--max-time", "20", "--socks5", dante.hostPort(),
                    "http://127.0.0.1:" + target.port() + "/");
            assertThat(r.exitCode()).as(r.describe() + "\n" + dante.describe()).isZero();
            assertThat(r.stdout()).isEqualTo("peer=127.0.0.1\n");
            assertThat(dante.childPids()).as("dante forks workers").isNotEmpty();
            all = dante.childPids().stream().map(ProcessHandle::of).flatMap(java.util.Optional::stream).toList();
        } finally {
            dante.close();
        }
        assertThat(dante.isAlive()).isFalse();
        assertThat(all).noneMatch(ProcessHandle::isAlive);
    }

    @Test
    void danteOnIpv6Loopback() throws Exception {
        TcpTarget target = peers.add(new TcpTarget("::1"));
        Dante dante = peers.add(Dante.builder().host("::1").start());

        ToolResult r = CommandTool.CURL.run("-sS", "--max-time", "20", "--socks5", dante.hostPort(),
                "http://[::1]:" + target.port() + "/");

        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stdout()).isEqualTo("peer=0:0:0:0:0:0:0:1\n");
    }
}
