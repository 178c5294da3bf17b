package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testkit.FreePorts;
import dev.sluice.testkit.NetNamespace;
import dev.sluice.testkit.Peers;
import dev.sluice.testkit.SluiceProcess;
import dev.sluice.testkit.ToolResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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

    /**
     * The bundled policy in a network namespace of its own (its fixed ports 2525 and 8000 are free there): it
     * says at start which data directory it uses and how many messages that holds; {@code sluice logs} reads
     * {@code ./data/logs} without an argument; {@code --data-dir} moves both.
     */
    @Test
    void theBundledPolicyNamesItsDataDirectoryAndSluiceLogsReadsItByDefault() throws Exception {
        NetNamespace ns = peers.add(NetNamespace.create());
        SluiceProcess mta = peers.add(SluiceProcess.builder().args("mta").namespace(ns).workDir(dir).start());
        assertThat(mta.logText()).contains("data directory ./data (" + dir.resolve("data") + ") holds 0 message(s)");
        ToolResult sent = ns.exec("swaks", "--server", "127.0.0.1:2525", "--from", "sender@example.test",
                "--to", "rcpt@example.test", "--header", "Subject: first hour");
        assertThat(sent.ok()).as(sent.describe()).isTrue();
        mta.terminate();
        assertThat(mta.awaitExit(Duration.ofSeconds(60))).isZero();

        ToolResult logs = SluiceCommand.runAt(dir, Map.of(), "logs");
        assertThat(logs.exitCode()).as(logs.describe()).isZero();
        assertThat(logs.stdout()).contains("Reception").contains("<sender@example.test> -> <rcpt@example.test>");

        // no DNS in the namespace: the message is still spooled, and the next start says so
        SluiceProcess again = peers.add(SluiceProcess.builder().args("mta", "--data-dir", "./data").namespace(ns)
                .workDir(dir).start());
        assertThat(again.logText()).contains("data directory ./data (" + dir.resolve("data") + ") holds 1 message(s)");
        again.terminate();
        assertThat(again.awaitExit(Duration.ofSeconds(60))).isZero();

        SluiceProcess elsewhere = peers.add(SluiceProcess.builder().args("mta", "--data-dir", "other").namespace(ns)
                .workDir(dir).start());
        assertThat(elsewhere.logText()).contains("data directory other (" + dir.resolve("other") + ") holds 0 message(s)");
        assertThat(dir.resolve("other/spool")).isDirectory();
        assertThat(dir.resolve("other/logs")).isDirectory();
    }

    @Test
    void printDefaultPolicyPrintsTheBundledPolicyForTheDataDirectory() throws Exception {
        ToolResult r = SluiceCommand.run("mta", "--print-default-policy", "--data-dir", "/var/lib/sluice");
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stdout()).contains("local data_dir = '/var/lib/sluice'").contains("kumo.start_esmtp_listener");
        Path copy = dir.resolve("copy.lua");
        Files.writeString(copy, SluiceCommand.inProcess("mta", "--print-default-policy").stdout());
        ToolResult check = SluiceCommand.inProcess("check", "--policy", copy.toString());
        assertThat(check.exitCode()).as(check.describe()).isZero();
        ToolResult both = SluiceCommand.inProcess("mta", "--policy", copy.toString(), "--data-dir", "x");
        assertThat(both.exitCode()).as(both.describe()).isEqualTo(2);
        assertThat(both.stderr()).contains("--data-dir applies to the bundled policy");
    }

    @Test
    void sluiceLogsWithoutADirectoryAndNoDataSaysWhatToGive() {
        ToolResult r = SluiceCommand.runAt(dir, Map.of(), "logs");
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
        assertThat(r.stderr().strip()).isEqualTo(
                "sluice logs: ./data/logs: no such directory (give the log_dir of your policy: sluice logs DIR)");
    }
}
