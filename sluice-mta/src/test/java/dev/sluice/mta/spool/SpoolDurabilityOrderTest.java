package dev.sluice.mta.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.message.Message;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A store completes (ingress may answer 250) only after its sync, and concurrent stores share syncs. */
class SpoolDurabilityOrderTest {
    @TempDir
    Path dir;

    private final SpoolMetrics metrics = new SpoolMetrics(new PrometheusRegistry());

    @ParameterizedTest
    @EnumSource(SpoolConfig.Kind.class)
    void storeDoesNotCompleteWhileTheSyncIsHeldBack(SpoolConfig.Kind kind) throws Exception {
        HeldSyncer syncer = new HeldSyncer();
        try (Spool spool = Spools.open(SpoolConfig.of("data", dir, kind, true), metrics, syncer);
             HeldSyncer.Release release = syncer::release) { // on failure too, or close() would wait forever
            spool.start();
            CompletableFuture<Void> stored = spool.store(List.of(TestMessages.message(1)));
            assertThat(syncer.entered.await(60, TimeUnit.SECONDS)).isTrue(); // the writer is at the sync now
            assertThat(stored).isNotDone();
            assertThat(metrics.fsyncs("data")).isZero();
            assertThat(spool.count()).isZero();

            syncer.release();
            await().atMost(Duration.ofMinutes(1)).until(stored::isDone);
            assertThat(stored).isCompleted();
            assertThat(syncer.finished.get()).isEqualTo(1);
            assertThat(metrics.fsyncs("data")).isPositive();
            assertThat(spool.count()).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @EnumSource(SpoolConfig.Kind.class)
    void storesQueuedDuringASyncShareTheNextCommit(SpoolConfig.Kind kind) throws Exception {
        HeldSyncer syncer = new HeldSyncer();
        int n = 200;
        List<Message> messages = IntStream.range(0, n).mapToObj(TestMessages::message).toList();
        try (Spool spool = Spools.open(SpoolConfig.of("data", dir, kind, true), metrics, syncer);
             HeldSyncer.Release release = syncer::release) {
            spool.start();
            List<CompletableFuture<Void>> futures = new ArrayList<>();
            futures.add(spool.store(List.of(messages.getFirst())));
            assertThat(syncer.entered.await(60, TimeUnit.SECONDS)).isTrue();
            // 199 ingress sessions store while the first commit waits for its sync
            messages.subList(1, n).parallelStream().map(m -> spool.store(List.of(m))).forEach(f -> {
                synchronized (futures) {
                    futures.add(f);
                }
            });
            assertThat(futures).noneMatch(CompletableFuture::isDone);
            syncer.release();
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get();
            assertThat(spool.count()).isEqualTo(n);
        }
        // one commit for the first message, one for the other 199
        assertThat(metrics.writes("data")).isEqualTo(2);
        if (kind == SpoolConfig.Kind.ROCKSDB) {
            assertThat(metrics.fsyncs("data")).isEqualTo(2); // one WAL sync per commit
        } else {
            // every file is fsynced, but each directory once per commit
            assertThat(metrics.fsyncs("data")).isEqualTo(2L * n + 2 * 2);
        }
    }

    @ParameterizedTest
    @EnumSource(SpoolConfig.Kind.class)
    void concurrentStoresNeedFewerSyncsThanMessages(SpoolConfig.Kind kind) throws Exception {
        int n = 2000;
        try (Spool spool = Spools.open(SpoolConfig.of("data", dir, kind, true), metrics)) {
            spool.start();
            List<CompletableFuture<Void>> futures = IntStream.range(0, n).parallel()
                    .mapToObj(i -> spool.store(List.of(TestMessages.message(i)))).toList();
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get();
            assertThat(spool.count()).isEqualTo(n);
        }
        assertThat(metrics.writes("data")).isLessThan(n);
        if (kind == SpoolConfig.Kind.ROCKSDB) {
            assertThat(metrics.fsyncs("data")).isLessThan(n);
        } else {
            assertThat(metrics.fsyncs("data")).isLessThan(4L * n); // 2 per message + far fewer directory syncs
        }
    }
}
