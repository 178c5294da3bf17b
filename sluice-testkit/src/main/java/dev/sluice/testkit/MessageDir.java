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
    private static final int STABLE_POLLS = 3;

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
     * Waits until at least {@code count} messages exist, none is empty and their sizes stayed the same over
     * {@link #STABLE_POLLS} polls (smtp-sink opens a dump at DATA and appends while the message arrives; under load a
     * sender may pause longer than one poll), then returns them all.
     */
    static List<DumpedMessage> await(Path dir, int count, Duration timeout, String describe) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<Path, Long> last = Map.of();
        int stable = 0;
        while (true) {
            Map<Path, Long> sizes = sizes(dir);
            stable = sizes.equals(last) ? stable + 1 : 0;
            if (sizes.size() >= count && stable >= STABLE_POLLS && !sizes.containsValue(0L)) return read(dir);
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
