package dev.sluice.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code bin/sluice}: one picocli command with a subcommand per tool. */
@Command(
        name = "sluice",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Sluice: a mail transfer agent for senders who deliver through forward proxies.",
            ""
        },
        subcommands = {ProxyCommand.class, CheckCommand.class, DeliverCommand.class, LogsCommand.class, MtaCommand.class, TsaCommand.class, InjectCommand.class, QueueCommand.class, SpoolCommand.class, CommandLine.HelpCommand.class},
        commandListHeading = "%nCommands:%n")
public final class Main implements Runnable {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        // `sluice` alone: show what there is to run rather than guessing a default.
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line; tests drive it in-process. */
    public static CommandLine commandLine() {
        var cl = new CommandLine(new Main());
        for (Class<?> admin : AdminCommands.ALL) { // kcli's bounce and suspend verbs
            cl.addSubcommand(admin);
        }
        for (Class<?> inspect : InspectCommands.ALL) { // kcli's inspect-* verbs, ready-q-states, provider-summary
            cl.addSubcommand(inspect);
        }
        cl.setUsageHelpWidth(120); // our descriptions are written as lines up to ~110 characters
        // picocli answers a usage error with exit code 2 and the reason on stderr: keep that, add a hint.
        cl.setParameterExceptionHandler(
                (ex, args) -> {
                    var err = ex.getCommandLine().getErr();
                    err.println("sluice: " + ex.getMessage());
                    err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
                    return CommandLine.ExitCode.USAGE;
                });
        return cl;
    }
}
