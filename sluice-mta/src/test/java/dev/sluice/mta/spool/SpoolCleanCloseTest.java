package dev.sluice.mta.spool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A clean stop leaves the RocksDB spool with nothing to replay: the memtables are written to table files at close,
 * so a restart after draining a large backlog does not re-read millions of deletions from the write-ahead log before
 * its listeners open. The messages still there come back whole.
 */
class SpoolCleanCloseTest {
    @TempDir
    Path dir;

    private static long walBytes(Path spool) throws IOException {
        try (Stream<Path> files = Files.list(spool)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".log")).mapToLong(f -> {
                try {
                    return Files.size(f);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).sum();
        }
    }

    @Test
    void aCleanCloseLeavesNoWriteAheadLogToReplayAndKeepsEveryMessage() throws Exception {
        Path path = dir.resolve("spool");
        SpoolConfig config = SpoolConfig.of("clean", path, SpoolConfig.Kind.ROCKSDB, true);
        List<Message> kept = new ArrayList<>();
        Spool spool = Spools.open(config, new SpoolMetrics(new PrometheusRegistry()));
        try {
            spool.start();
            for (int i = 0; i < 200; i++) {
                Message m = new Message(MessageId.next(Instant.now()), "a@example.test", "b" + i + "@example.test",
                        Map.of(), ("Subject: " + i + "\r\n\r\n" + "x".repeat(6000) + "\r\n")
                                .getBytes(StandardCharsets.UTF_8));
                spool.store(List.of(m)).get(30, TimeUnit.SECONDS);
                if (i % 2 == 0) {
                    spool.remove(m.id()).get(30, TimeUnit.SECONDS); // a delivered message: a deletion in the log
                } else {
                    kept.add(m);
                }
            }
            assertThat(walBytes(path)).as("the open spool's write-ahead log").isPositive();
        } finally {
            spool.close();
        }
        assertThat(walBytes(path)).as("bytes of write-ahead log left for the next open to replay").isZero();

        Spool again = Spools.open(config, new SpoolMetrics(new PrometheusRegistry()));
        try {
            again.start();
            for (Message m : kept) {
                assertThat(again.readData(m.id())).isEqualTo(m.data());
            }
        } finally {
            again.close();
        }
    }
}
