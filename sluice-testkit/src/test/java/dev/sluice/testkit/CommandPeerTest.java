package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class CommandPeerTest {
    @RegisterExtension
    final Peers peers = new Peers();

    @TempDir
    Path www;

    @AfterEach
    void nothingLeftRunning() throws Exception {
        peers.close();
        assertThat(Peers.livePids()).isEmpty();
    }

    @Test
    void pythonHttpServerServesThroughMicrosocks() throws Exception {
        Files.writeString(www.resolve("hello.txt"), "hello through socks\n");
        CommandPeer http = peers.add(CommandPeer.builder("http.server", p -> List.of(AiosmtpdSink.PYTHON, "-m",
                "http.server", Integer.toString(p), "--bind", "127.0.0.1", "--directory", www.toString())).start());
        Microsocks socks = peers.add(Microsocks.start());

        ToolResult r = CommandTool.CURL.run("-sS", "--max-time", "20", "--socks5-hostname", socks.hostPort(),
                "http://" + http.hostPort() + "/hello.txt");

        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stdout()).isEqualTo("hello through socks\n");
    }

    @Test
    void aPeerThatNeverListensFailsWithItsLog() {
        assertThatThrownBy(() -> CommandPeer.builder("silent", p -> List.of("sh", "-c", "echo starting up; sleep 30"))
                .startTimeout(Duration.ofSeconds(1)).start())
                .isInstanceOf(PeerStartException.class)
                .hasMessageContaining("not ready after")
                .hasMessageContaining("starting up");
    }
}
