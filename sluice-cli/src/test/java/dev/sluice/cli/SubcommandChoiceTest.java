package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code sluice CMD ...} builds picocli's model of CMD alone (the models of every subcommand were a large part of
 * {@code sluice mta}'s start-up); anything else (no command, an option, an unknown word, {@code help}) gets them all,
 * so the usage, the suggestions and the help are as before.
 */
class SubcommandChoiceTest {

    private static java.util.Set<String> built(String... args) {
        return Main.commandLine(args).getSubcommands().keySet();
    }

    @Test
    void aCommandBuildsOnlyItself() {
        assertThat(built("mta", "--policy", "p.lua")).containsExactly("mta");
        assertThat(built("queue")).containsExactly("queue");
        assertThat(built("ready-q-states", "--json")).containsExactly("ready-q-states"); // a kcli verb
        assertThat(built("bump-config-epoch")).containsExactly("bump-config-epoch");
    }

    @Test
    void everythingElseBuildsEveryCommandInTheListedOrder() {
        var all = Main.commandLine().getSubcommands().keySet();
        assertThat(all).hasSizeGreaterThan(20).startsWith("mta", "check", "inject").contains("help", "ready-q-states");
        assertThat(built()).containsExactlyElementsOf(all);
        assertThat(built("--help")).containsExactlyElementsOf(all);
        assertThat(built("help", "mta")).containsExactlyElementsOf(all);
        assertThat(built("mtaa")).containsExactlyElementsOf(all);
    }

    @Test
    void anUnknownCommandStillGetsItsSuggestion() {
        var err = new StringWriter();
        String[] args = {"mtaa"};
        int code = Main.commandLine(args).setErr(new PrintWriter(err)).execute(args);

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("'mtaa' is not a sluice command", "Did you mean 'sluice mta'?");
    }

    @Test
    void aCommandsOwnUsageErrorIsUnchanged() {
        String[] args = {"mta", "--bogus"};
        var lazy = new StringWriter();
        var full = new StringWriter();
        int lazyCode = Main.commandLine(args).setErr(new PrintWriter(lazy)).execute(args);
        int fullCode = Main.commandLine().setErr(new PrintWriter(full)).execute(args);

        assertThat(lazyCode).isEqualTo(fullCode).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(lazy.toString()).isEqualTo(full.toString()).contains("Try 'sluice mta --help'.");
    }
}
