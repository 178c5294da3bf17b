package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** bin/sluice does not exist yet: a fake one following the output contract stands in for it. */
class SluiceProcessTest {
    @RegisterExtension
    final Peers peers = new Peers();

    @TempDir
    Path home;

    @AfterEach
    void nothingLeftRunning() throws Exception {
        peers.close();
        assertThat(Peers.livePids()).isEmpty();
    }

    private void fakeSluice(String body) throws Exception {
        Path bin = Files.createDirectories(home.resolve("bin"));
        Path script = bin.resolve("sluice");
        Files.writeString(script, "#!/bin/bash\n" + body);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void readsListenersAndStopsTheWholeProcessTree() throws Exception {
        fakeSluice("""
                echo "args: $*"
                echo "no build: $SLUICE_NO_BUILD"
                sleep 300 &
                echo "proxy listener on 127.0.0.1:41234"
                echo "http listener on [::1]:41235" >&2
                echo "initialization complete"
                wait
                """);

        SluiceProcess sluice = peers.add(SluiceProcess.builder().home(home).args("proxy", "--config", "x.lua").start());

        assertThat(sluice.initialized()).isTrue();
        assertThat(sluice.proxyListener()).isEqualTo(new InetSocketAddress("127.0.0.1", 41234));
        assertThat(sluice.httpListener()).isEqualTo(new InetSocketAddress("::1", 41235));
        assertThat(sluice.hostPort()).isEqualTo("127.0.0.1:41234");
        assertThat(sluice.awaitLine("^args:", Duration.ofSeconds(10))).isEqualTo("args: proxy --config x.lua");
        assertThat(sluice.lines()).contains("no build: 1");
        List<ProcessHandle> children = sluice.childPids().stream().map(ProcessHandle::of)
                .flatMap(java.util.Optional::stream).toList();
        assertThat(children).isNotEmpty();

        sluice.close();

        assertThat(sluice.isAlive()).isFalse();
        assertThat(children).noneMatch(ProcessHandle::isAlive);
    }

    @Test
    void failsWithTheLogWhenSluiceExitsBeforeItIsReady() throws Exception {
        fakeSluice("echo 'config error: no such file' >&2\nexit 3\n");

        assertThatThrownBy(() -> SluiceProcess.builder().home(home).start())
                .isInstanceOf(PeerStartException.class)
                .hasMessageContaining("exited with 3")
                .hasMessageContaining("config error: no such file");
    }

    @Test
    void homeComesFromTheSystemProperty() {
        String old = System.getProperty("sluice.home");
        System.setProperty("sluice.home", home.toString());
        try {
            assertThat(SluiceProcess.home()).isEqualTo(home.toAbsolutePath());
        } finally {
            if (old == null) System.clearProperty("sluice.home"); else System.setProperty("sluice.home", old);
        }
    }
}
