package dev.sluice.cli;

import dev.sluice.mta.log.LogLineFormatter;
import dev.sluice.mta.log.LogReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code sluice logs DIR}: the JSON log records of {@code sluice mta}, one readable line each. */
@Command(
        name = "logs",
        header = "Print the MTA's log records, one readable line each (default ./data/logs).",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Print the log records under a log_dir (kumo.configure_local_logs), oldest first, including the",
            "segment being written. One line per record:",
            "  TIME TYPE ID <sender> -> <recipient> queue=Q site=S pool=P source=NAME from=IP:PORT via PROTOCOL PROXY",
            "  peer=NAME/IP proto=ESMTP attempts=N: CODE X.Y.Z TEXT",
            ""
        })
final class LogsCommand implements Callable<Integer> {
    /** How often --follow looks for new records; the writer flushes within about 100 ms of going idle. */
    private static final long FOLLOW_INTERVAL_MILLIS = 200;

    @Spec CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "DIR",
            description = "The log directory (log_dir; default ./data/logs, where the bundled policy logs).")
    Path dir = Path.of("./data/logs");

    @Option(names = {"-f", "--follow"}, description = "Keep printing new records and new segments until interrupted.")
    boolean follow;

    @Option(names = "--json", description = "Print the raw JSON lines instead.")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!follow && !Files.isDirectory(dir)) {
            err.println("sluice logs: " + dir + ": no such directory" + (dir.equals(Path.of("./data/logs"))
                    ? " (give the log_dir of your policy: sluice logs DIR)" : ""));
            return 1;
        }
        try {
            read(out, err);
        } catch (IOException e) {
            err.println("sluice logs: " + dir + ": " + e.getMessage());
            return 1;
        }
        return 0;
    }

    private void read(PrintWriter out, PrintWriter err) throws IOException {
        try (var reader = new LogReader(dir, w -> {
            err.println("sluice logs: " + w);
            err.flush();
        })) {
            do {
                int n = reader.poll(line -> out.println(json ? line : LogLineFormatter.format(line)));
                if (n > 0 || !follow) {
                    out.flush();
                }
                if (follow) {
                    try {
                        Thread.sleep(FOLLOW_INTERVAL_MILLIS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break; // interrupted: the normal way to end --follow in-process
                    }
                }
            } while (follow && !Thread.currentThread().isInterrupted());
        } finally {
            out.flush();
        }
    }
}
