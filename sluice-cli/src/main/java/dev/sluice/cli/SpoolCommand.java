package dev.sluice.cli;

import dev.sluice.mta.spool.Quarantine;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sluice spool}: looks at a spool directory on disk (also while the MTA runs). */
@Command(
        name = "spool",
        header = "Look at a spool directory.",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {"Look at a spool directory.", ""},
        subcommands = {SpoolCommand.QuarantineCommand.class})
final class SpoolCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code sluice spool quarantine --spool DIR}: the messages the spool could not read. */
    @Command(
            name = "quarantine",
            mixinStandardHelpOptions = true,
            versionProvider = VersionProvider.class,
            description = {
                "List the spool's quarantined messages: entries whose data or meta could not be read (a checksum",
                "mismatch in a RocksDB file) and so are not delivered. One line each: spool id, when, sender ->",
                "recipient (when the meta was readable), the reason, and where the damaged files are kept.",
                "Exit code: 0 none, 1 some listed, 2 no such spool directory.",
                ""
            })
    static final class QuarantineCommand implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Option(names = "--spool", paramLabel = "DIR", required = true,
                description = "The spool directory (define_spool's path, e.g. ./data/spool).")
        Path spool;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            if (!Files.isDirectory(spool)) {
                spec.commandLine().getErr().println("sluice spool quarantine: no spool directory " + spool);
                return 2;
            }
            List<Quarantine.Entry> entries = Quarantine.read(spool);
            for (Quarantine.Entry e : entries) {
                out.printf("%s %s %s -> %s: %s (kept in %s)%n", e.id(), e.at(),
                        e.sender() == null ? "?" : "<" + e.sender() + ">",
                        e.recipient() == null ? "?" : "<" + e.recipient() + ">", e.reason(), e.keptIn());
            }
            out.printf("%d quarantined message(s) in %s%n", entries.size(), spool);
            return entries.isEmpty() ? 0 : 1;
        }
    }
}
