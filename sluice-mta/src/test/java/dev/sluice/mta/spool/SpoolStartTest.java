package dev.sluice.mta.spool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Opening a spool starts no thread: its writer starts in {@link Spool#start} (a step of the MTA's lifecycle), and a
 * write submitted before that waits for it.
 */
class SpoolStartTest {
    @TempDir
    Path dir;

    private static boolean writerRunning(String name) {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals("spool-writer-" + name) && t.isAlive());
    }

    @ParameterizedTest
    @EnumSource(SpoolConfig.Kind.class)
    void openingStartsNoThreadTheWriterStartsInStart(SpoolConfig.Kind kind) throws Exception {
        String name = "start-" + kind.name().toLowerCase(java.util.Locale.ROOT);
        Spool spool = Spools.open(SpoolConfig.of(name, dir.resolve("spool"), kind, false),
                new SpoolMetrics(new PrometheusRegistry()));
        try {
            assertThat(writerRunning(name)).as("a writer thread after the open alone").isFalse();
            Message m = new Message(MessageId.next(Instant.now()), "a@example.test", "b@example.test", Map.of(),
                    "Subject: x\r\n\r\nbody\r\n".getBytes(StandardCharsets.UTF_8));
            CompletableFuture<Void> stored = spool.store(List.of(m));
            Thread.sleep(200);
            assertThat(stored).isNotDone(); // nothing writes before start
            spool.start();
            assertThat(writerRunning(name)).isTrue();
            stored.get(30, TimeUnit.SECONDS);
            assertThat(spool.readData(m.id())).isEqualTo(m.data());
        } finally {
            spool.close();
        }
        assertThat(writerRunning(name)).isFalse();
    }
}
