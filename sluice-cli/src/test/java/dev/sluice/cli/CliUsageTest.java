package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testkit.ToolResult;
import org.junit.jupiter.api.Test;

/** What an operator sees from {@code bin/sluice} itself: usage, versions, and usage errors with exit code 2. */
class CliUsageTest {

    private static ToolResult sluice(String... args) {
        return SluiceCommand.run(args);
    }

    /** The same command line in this JVM: for usage errors and help texts, which picocli produces alike in both. */
    private static ToolResult parsed(String... args) {
        return SluiceCommand.inProcess(args);
    }

    @Test
    void helpListsTheCommands() {
        var r = sluice("--help");
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stdout()).contains("Usage: sluice").contains("proxy");
    }

    @Test
    void proxyHelpListsKumoProxysFlags() {
        var r = parsed("proxy", "--help");
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stdout()).contains("--listen", "--no-splice", "--timeout-seconds", "--proxy-config");
    }

    @Test
    void unknownFlagIsAUsageError() {
        var r = parsed("proxy", "--listne", "127.0.0.1:0");
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(2);
        assertThat(r.stderr()).contains("Unknown options: '--listne'").contains("sluice proxy --help");
    }

    @Test
    void proxyNeedsAConfigOrAListener() {
        var r = parsed("proxy");
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(2);
        assertThat(r.stderr()).contains("--proxy-config FILE.lua or at least one --listen");
    }

    @Test
    void configAndLegacyFlagsDoNotMix() {
        var r = parsed("proxy", "--proxy-config", "x.lua", "--no-splice");
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(2);
        assertThat(r.stderr()).contains("cannot be combined");
    }

    @Test
    void badListenAddressIsAUsageError() {
        var r = parsed("proxy", "--listen", "localhost:5000");
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(2);
        assertThat(r.stderr()).contains("'localhost' in 'localhost:5000' is not an IP address");
    }

    @Test
    void helpGivesEachCommandAWholeSentence() {
        var r = parsed("--help");
        assertThat(r.exitCode()).as(r.describe()).isZero();
        String commands = r.stdout().substring(r.stdout().indexOf("Commands:"));
        assertThat(commands.lines().skip(1).filter(l -> !l.isBlank()).toList()).as(commands)
                .hasSizeGreaterThanOrEqualTo(10)
                .allSatisfy(line -> assertThat(line.strip()).matches("[a-z-]+ +[A-Z].*[.)]"));
        assertThat(commands).contains("  version ");
    }

    @Test
    void aMisspelledCommandGetsASuggestion() {
        var r = sluice("mtaa");
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(2);
        assertThat(r.stderr().lines()).as(r.describe()).containsExactly("sluice: 'mtaa' is not a sluice command",
                "Did you mean 'sluice mta'?", "Try 'sluice --help'.");
        var sub = sluice("spool", "quarantene");
        assertThat(sub.stderr()).as(sub.describe()).contains("Did you mean 'sluice spool quarantine'?");
    }

    @Test
    void versionIsACommandToo() {
        var r = sluice("version");
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stdout().strip()).startsWith("sluice ").isEqualTo(sluice("--version").stdout().strip());
    }

    @Test
    void aMissingPolicyFileSaysNoSuchFile() {
        for (String command : new String[] {"mta", "check"}) {
            var r = sluice(command, "--policy", "/nonexistent/policy.lua");
            assertThat(r.exitCode()).as(r.describe()).isEqualTo(2);
            assertThat(r.stderr().lines().filter(l -> !l.contains(" INFO ")).toList()).as(r.describe())
                    .containsExactly("no such file: /nonexistent/policy.lua");
        }
    }
}
