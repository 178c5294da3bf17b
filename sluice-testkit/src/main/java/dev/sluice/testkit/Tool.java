package dev.sluice.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a command to completion (optionally inside a namespace), output captured to files under target/peers. */
public final class Tool {
    /** Safety bound so a hung tool cannot hang the build; generous, tests do not rely on it. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);

    private Tool() {}

    public static ToolResult run(List<String> command) {
        return run(null, command, Map.of(), DEFAULT_TIMEOUT);
    }

    /**
     * @param namespace null to run in the JVM's namespace
     * @param env extra environment variables
     */
    public static ToolResult run(NetNamespace namespace, List<String> command, Map<String, String> env,
                                 Duration timeout) {
        List<String> full = namespace == null ? List.copyOf(command) : namespace.wrap(command);
        String base = PeerLogs.uniqueName(Path.of(command.get(0)).getFileName().toString());
        Path out = PeerLogs.dir().resolve(base + ".out");
        Path err = PeerLogs.dir().resolve(base + ".err");
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(full))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + full, e);
        }
        Reaper.track(p.toHandle());
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                Processes.terminate(p.toHandle());
                throw new IllegalStateException(full + " still running after " + timeout + "; output in " + out
                        + " and " + err);
            }
        } catch (InterruptedException e) {
            Processes.terminate(p.toHandle());
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + full, e);
        }
        Processes.terminate(p.toHandle()); // reaps forked leftovers, if any, and untracks
        return new ToolResult(full, p.exitValue(), PeerLogs.read(out), PeerLogs.read(err), out, err);
    }
}
