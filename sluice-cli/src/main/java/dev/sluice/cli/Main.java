package dev.sluice.cli;

import dev.sluice.net.StartFailure;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
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
        commandListHeading = "%nCommands:%n")
public final class Main implements Runnable {

    /** The tools, in the order {@code sluice --help} lists them, before the kcli verbs ({@link #subcommands}). */
    private static final List<Class<?>> TOOLS = List.of(MtaCommand.class, CheckCommand.class, InjectCommand.class,
            LogsCommand.class, QueueCommand.class, SpoolCommand.class, DeliverCommand.class, ProxyCommand.class,
            TsaCommand.class, VersionCommand.class, CommandLine.HelpCommand.class);

    /**
     * kcli's verbs after the tools: bounce and suspend, inspect-* (ready-q-states, provider-summary),
     * bump-config-epoch (reload the running MTA's policy), resolve-egress-path, xfer and xfer-cancel, and
     * trace-smtp-server, trace-smtp-client and top. Reached through suppliers: a group's class is initialized (its
     * JSON mapper made) only when one of its verbs may be the one run.
     */
    private static final List<Supplier<Class<?>[]>> KCLI_VERBS = List.of(() -> AdminCommands.ALL,
            () -> InspectCommands.ALL, () -> new Class<?>[] {ReloadCommand.class}, () -> OpsCommands.ALL,
            () -> LiveCommands.ALL);

    /** Every subcommand, in the order {@code sluice --help} lists them. */
    static List<Class<?>> subcommands() {
        return Stream.concat(TOOLS.stream(), KCLI_VERBS.stream().flatMap(group -> Arrays.stream(group.get()))).toList();
    }

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        // `sluice` alone: show what there is to run rather than guessing a default.
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine(args).execute(args));
    }

    /** A word where a subcommand belongs (a command with subcommands and no positional parameters). */
    private static boolean isUnknownCommand(CommandLine.UnmatchedArgumentException u) {
        var cl = u.getCommandLine();
        return !cl.getSubcommands().isEmpty() && cl.getCommandSpec().positionalParameters().isEmpty()
                && !u.getUnmatched().isEmpty() && !u.getUnmatched().getFirst().startsWith("-");
    }

    /** The configured command line with every subcommand; tests drive it in-process. */
    public static CommandLine commandLine() {
        return commandLine(subcommands());
    }

    /**
     * The command line for {@code args}: when they start with a subcommand's name, only that subcommand is built
     * (picocli builds the model of each subcommand it is given, with an instance and every class its fields name:
     * for all of them, a large part of the start-up of {@code sluice mta}); otherwise (no command, an option, a word
     * that is no command, {@code help}) every one, for the usage, the suggestions and the help.
     */
    static CommandLine commandLine(String[] args) {
        if (args.length > 0) {
            Stream<Class<?>> verbs = KCLI_VERBS.stream().flatMap(group -> Arrays.stream(group.get())); // lazily
            for (Class<?> c : (Iterable<Class<?>>) Stream.concat(TOOLS.stream(), verbs)::iterator) {
                Command command = c.getAnnotation(Command.class);
                if (c != CommandLine.HelpCommand.class && command != null && names(command).contains(args[0])) {
                    return commandLine(List.of(c));
                }
            }
        }
        return commandLine(subcommands());
    }

    private static List<String> names(Command command) {
        return Stream.concat(Stream.of(command.name()), Arrays.stream(command.aliases())).toList();
    }

    private static CommandLine commandLine(List<Class<?>> subcommands) {
        var cl = new CommandLine(new Main());
        subcommands.forEach(cl::addSubcommand);
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
