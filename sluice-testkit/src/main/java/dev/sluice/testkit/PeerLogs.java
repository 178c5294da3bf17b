package dev.sluice.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where peer output goes: {@code target/peers/} of the module under test (override with system
 * property {@code sluice.peers.dir}). Names carry the JVM pid so parallel forks never share a file.
 */
public final class PeerLogs {
    private static final AtomicInteger SEQ = new AtomicInteger();

    private PeerLogs() {}

    public static Path dir() {
        Path dir = Path.of(System.getProperty("sluice.peers.dir", "target/peers")).toAbsolutePath();
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
    }

    /** A fresh, unused base name such as {@code smtp-sink-4711-3}. */
    static String uniqueName(String prefix) {
        return prefix + "-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet();
    }

    /** A fresh directory under the peers dir (config files, dumps). */
    static Path newDir(String base) {
        try {
            return Files.createDirectories(dir().resolve(base));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, java.nio.charset.StandardCharsets.ISO_8859_1) : "";
        } catch (IOException e) {
            return "<cannot read " + file + ": " + e + ">";
        }
    }

    /** The last lines of a log, for exception messages. */
    static String tail(Path file, int lines) {
        String[] all = read(file).split("\n");
        int from = Math.max(0, all.length - lines);
        return String.join("\n", java.util.Arrays.copyOfRange(all, from, all.length));
    }
}
