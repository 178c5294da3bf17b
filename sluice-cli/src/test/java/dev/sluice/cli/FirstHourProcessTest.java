package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testkit.FreePorts;
import dev.sluice.testkit.Peers;
import dev.sluice.testkit.SluiceProcess;
import dev.sluice.testkit.ToolResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** What a new user meets in the first hour with {@code bin/sluice mta}, as processes. */
class FirstHourProcessTest {
    @RegisterExtension
    final Peers peers = new Peers();

    @TempDir
    Path dir;

    /** A policy with its spool at {@code spool} and ESMTP on {@code port} (0: any). */
    private Path policy(String name, Path spool, int port) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, """
                local kumo = require 'kumo'
                kumo.on('init', function()
                  kumo.define_spool { name = 'data', path = '%s', kind = 'RocksDB', flush = false }
                  kumo.start_esmtp_listener { listen = '127.0.0.1:%d' }
                end)
                """.formatted(spool.toAbsolutePath(), port));
        return file;
    }

    private SluiceProcess first(Path policy) {
        return peers.add(SluiceProcess.builder().args("mta", "--policy", policy.toString()).workDir(dir).start());
    }

    /** One line on stderr, exit 1: no stack trace, no "mta stopped", no Java address form. */
    private static void assertOneLine(ToolResult r, String line) {
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
        assertThat(r.stderr().lines().filter(l -> !l.contains(" INFO ")).toList()).as(r.describe()).containsExactly(line);
        assertThat(r.stderr()).doesNotContain("\tat ", "Exception", "mta stopped", "/127.0.0.1");
    }

    @Test
    void aSecondMtaOnTheSameSpoolSaysWhichProcessHoldsIt() throws Exception {
        Path spool = dir.resolve("spool");
        SluiceProcess mta = first(policy("first.lua", spool, 0));

        ToolResult r = SluiceCommand.run("mta", "--policy", policy("second.lua", spool, 0).toString());

        assertOneLine(r, "sluice mta: " + spool.toAbsolutePath() + " is locked by another sluice mta (pid " + mta.pid() + ")");
        assertThat(mta.isAlive()).isTrue();
    }

    @Test
    void aSecondMtaOnTheSamePortSaysTheAddressIsInUseAndShowsTheTraceOnlyWithDebugLogging() throws Exception {
        int port = FreePorts.tcp();
        first(policy("first.lua", dir.resolve("spool-1"), port));
        Path second = policy("second.lua", dir.resolve("spool-2"), port);

        ToolResult r = SluiceCommand.run("mta", "--policy", second.toString());

        assertOneLine(r, "sluice mta: 127.0.0.1:" + port + " is in use");
        ToolResult debug = SluiceCommand.runAt(dir, Map.of("SLUICE_LOG", "debug"), "mta", "--policy", second.toString());
        assertThat(debug.exitCode()).as(debug.describe()).isEqualTo(1);
        assertThat(debug.stderr()).contains("sluice mta: 127.0.0.1:" + port + " is in use").contains("\tat ");
    }
}
