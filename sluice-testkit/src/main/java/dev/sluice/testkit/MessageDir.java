package dev.sluice.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Reading a sink's dump directory: one file per message, names sort by arrival time. */
final class MessageDir {
    private static final long POLL_MILLIS = 100;

    private MessageDir() {}

    static List<DumpedMessage> read(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(Files::isRegularFile).filter(f -> !f.toString().endsWith(".tmp")).sorted()
                    .map(DumpedMessage::parse).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Waits until at least {@code count} messages exist and their sizes stopped changing between two
     * polls (smtp-sink appends to a dump while DATA arrives), then returns them all.
     */
    static List<DumpedMessage> await(Path dir, int count, Duration timeout, String describe) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<Path, Long> last = Map.of();
        while (true) {
            Map<Path, Long> sizes = sizes(dir);
            if (sizes.size() >= count && sizes.equals(last)) return read(dir);
            if (System.nanoTime() > deadline) {
                throw new AssertionError("expected " + count + " message(s) in " + dir + " within " + timeout
                        + ", found " + sizes.size() + "; " + describe);
            }
            last = sizes;
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for messages in " + dir, e);
            }
        }
    }

    private static Map<Path, Long> sizes(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(Files::isRegularFile).filter(f -> !f.toString().endsWith(".tmp"))
                    .collect(java.util.stream.Collectors.toMap(f -> f, f -> f.toFile().length()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
