package dev.sluice.testkit;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Starts a peer process with its output in a log file and waits until it is ready. */
final class Launcher {
    private static final long POLL_MILLIS = 50;

    private Launcher() {}

    record Launched(PeerSpec spec, Process process, Path log) {}

    static Launched launch(PeerSpec spec) {
        List<String> command = spec.namespace() == null ? spec.command() : spec.namespace().wrap(spec.command());
        Path log = PeerLogs.dir().resolve(PeerLogs.uniqueName(spec.name()) + ".log");
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().putAll(spec.env());
        if (spec.workDir() != null) pb.directory(spec.workDir().toFile());
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new PeerStartException("cannot start " + command + ": " + e.getMessage(), e);
        }
        Reaper.track(process.toHandle());
        Launched launched = new Launched(spec, process, log);
        awaitReady(launched, command);
        return launched;
    }

    private static void awaitReady(Launched l, List<String> command) {
        PeerSpec spec = l.spec();
        long deadline = System.nanoTime() + spec.timeout().toNanos();
        while (System.nanoTime() < deadline) {
            if (!l.process().isAlive()) {
                Processes.terminate(l.process().toHandle()); // reaps forked children, untracks
                throw new PeerStartException(spec.name() + " exited with " + l.process().exitValue()
                        + " before it was ready: " + String.join(" ", command) + "\nlog " + l.log() + ":\n"
                        + PeerLogs.tail(l.log(), 40));
            }
            if (isReady(l)) return;
            sleep();
        }
        Processes.terminate(l.process().toHandle());
        throw new PeerStartException(spec.name() + " not ready after " + spec.timeout() + " ("
                + spec.readiness() + " on " + Net.hostPort(spec.host(), spec.port()) + "): "
                + String.join(" ", command) + "\nlog " + l.log() + ":\n" + PeerLogs.tail(l.log(), 40));
    }

    private static boolean isReady(Launched l) {
        PeerSpec spec = l.spec();
        return switch (spec.readiness()) {
            case Readiness.PortOpen p -> spec.namespace() == null
                    ? Net.accepts(spec.host(), spec.port())
                    : spec.namespace().accepts(spec.host(), spec.port());
            case Readiness.LogLine line -> line.pattern().matcher(PeerLogs.read(l.log())).find();
        };
    }

    private static void sleep() {
        try {
            Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PeerStartException("interrupted while waiting for a peer");
        }
    }
}
