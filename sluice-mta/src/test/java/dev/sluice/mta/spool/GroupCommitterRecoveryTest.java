package dev.sluice.mta.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.message.MessageId;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * After a failed write the spool says why it refuses writes, and its writer retries the store's recovery on its own
 * (nothing else is written while ingress refuses), so writes work again once the cause is gone, without a restart.
 */
class GroupCommitterRecoveryTest {

    @Test
    void aFailedWriteIsAProblemUntilTheStoreRecoversWithoutFurtherWrites() throws Exception {
        AtomicBoolean diskFull = new AtomicBoolean(true);
        AtomicBoolean broken = new AtomicBoolean(false);
        AtomicInteger recoveries = new AtomicInteger();
        GroupCommitter.BatchWriter store = new GroupCommitter.BatchWriter() {
            @Override
            public void write(List<SpoolOp> ops, boolean sync) throws Exception {
                if (diskFull.get()) {
                    broken.set(true);
                }
                if (broken.get()) {
                    throw new IOException("No space left on device");
                }
            }

            @Override
            public void recover() throws Exception {
                recoveries.incrementAndGet();
                if (diskFull.get()) {
                    throw new IOException("No space left on device");
                }
                broken.set(false); // as a reopen clears RocksDB's background error
            }
        };
        try (GroupCommitter committer = new GroupCommitter("data", false, store, Syncer.DIRECT,
                new SpoolMetrics(new PrometheusRegistry()), SpoolIds.listed())) {
            committer.start();
            assertThat(committer.problem()).isEmpty();
            assertThatThrownBy(() -> committer.submit(List.of(new SpoolOp.Remove(new MessageId(1, 1)))).get())
                    .isInstanceOf(ExecutionException.class).hasMessageContaining("No space left");
            assertThat(committer.problem()).hasValueSatisfying(p -> assertThat(p).contains("No space left"));
            await().atMost(Duration.ofSeconds(30)).until(() -> recoveries.get() >= 2); // retried, still full
            assertThat(committer.problem()).isPresent();

            diskFull.set(false);
            await().atMost(Duration.ofSeconds(30)).until(() -> committer.problem().isEmpty());
            committer.submit(List.of(new SpoolOp.Remove(new MessageId(1, 2)))).get();
        }
    }
}
