package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testkit.ToolResult;
import org.junit.jupiter.api.Test;

/** What an operator sees from {@code bin/sluice} itself: usage, versions, and usage errors with exit code 2. */
class CliUsageTest {

    private static ToolResult sluice(String... args) {
        return SluiceCommand.run(args);
    }

    @Test
    void helpListsTheCommands() {
        var r = sluice("--help");
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stdout()).contains("Usage: sluice").contains("proxy");
    }

    @Test
    void proxyHelpListsKumoProxysFlags() {
        var r = sluice("proxy", "--help");
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stdout()).contains("--listen", "--no-splice", "--timeout-seconds", "--proxy-config");
    }

    @Test
    void unknownFlagIsAUsageError() {
        var r = sluice("proxy", "--listne", "127.0.0.1:0");
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(2);
        assertThat(r.stderr()).contains("Unknown options: '--listne'").contains("sluice proxy --help");
    }

    @Test
    void proxyNeedsAConfigOrAListener() {
        var r = sluice("proxy");
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(2);
        assertThat(r.stderr()).contains("--proxy-config FILE.lua or at least one --listen");
    }

    @Test
    void configAndLegacyFlagsDoNotMix() {
        var r = sluice("proxy", "--proxy-config", "x.lua", "--no-splice");
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(2);
        assertThat(r.stderr()).contains("cannot be combined");
    }

    @Test
    void badListenAddressIsAUsageError() {
        var r = sluice("proxy", "--listen", "localhost:5000");
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(2);
        assertThat(r.stderr()).contains("'localhost' in 'localhost:5000' is not an IP address");
    }
}
