package dev.sluice.cli;

import dev.sluice.net.StartFailure;
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
        subcommands = {MtaCommand.class, CheckCommand.class, InjectCommand.class, LogsCommand.class, QueueCommand.class,
            SpoolCommand.class, DeliverCommand.class, ProxyCommand.class, TsaCommand.class, VersionCommand.class,
            CommandLine.HelpCommand.class},
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

    /** A word where a subcommand belongs (a command with subcommands and no positional parameters). */
    private static boolean isUnknownCommand(CommandLine.UnmatchedArgumentException u) {
        var cl = u.getCommandLine();
        return !cl.getSubcommands().isEmpty() && cl.getCommandSpec().positionalParameters().isEmpty()
                && !u.getUnmatched().isEmpty() && !u.getUnmatched().getFirst().startsWith("-");
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
        cl.addSubcommand(ReloadCommand.class); // bump-config-epoch: reload the running MTA's policy
        for (Class<?> ops : OpsCommands.ALL) { // kcli's resolve-egress-path, xfer, xfer-cancel
            cl.addSubcommand(ops);
        }
        for (Class<?> live : LiveCommands.ALL) { // kcli's trace-smtp-server, trace-smtp-client, top
            cl.addSubcommand(live);
        }
        cl.setUsageHelpWidth(120); // our descriptions are written as lines up to ~110 characters
        // picocli answers a usage error with exit code 2 and the reason on stderr: keep that, add a hint.
        cl.setParameterExceptionHandler(
                (ex, args) -> {
                    var err = ex.getCommandLine().getErr();
                    String command = ex.getCommandLine().getCommandSpec().qualifiedName();
                    if (ex instanceof CommandLine.UnmatchedArgumentException u && isUnknownCommand(u)) {
                        err.println(command + ": '" + u.getUnmatched().getFirst() + "' is not a " + command + " command");
                    } else {
                        err.println("sluice: " + ex.getMessage());
                    }
                    if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
                        // picocli lists its candidates closest first; the rest are often far off ("mtaa" -> ready-q-states)
                        String best = u.getSuggestions().getFirst();
                        err.println("Did you mean '" + (best.startsWith("-") ? best : command + " " + best) + "'?");
                    }
                    err.println("Try '" + command + " --help'.");
                    return CommandLine.ExitCode.USAGE;
                });
        // a program that cannot start for a reason one line says in full (an address or a spool in use): that
        // line and exit 1; the stack trace only with SLUICE_LOG=debug
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            StartFailure failure = StartFailure.in(ex);
            if (failure == null) {
                throw ex;
            }
            var err = commandLine.getErr();
            err.println(commandLine.getCommandSpec().qualifiedName() + ": " + failure.getMessage());
            if ("debug".equalsIgnoreCase(System.getenv("SLUICE_LOG")) || "trace".equalsIgnoreCase(System.getenv("SLUICE_LOG"))) {
                ex.printStackTrace(err);
            }
            err.flush();
            return 1;
        });
        return cl;
    }
}
