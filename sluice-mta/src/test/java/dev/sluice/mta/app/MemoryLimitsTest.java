package dev.sluice.mta.app;

import static dev.sluice.mta.app.MtaFixture.hostPort;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testkit.CommandTool;
import dev.sluice.testkit.SmtpSink;
import dev.sluice.testkit.ToolResult;
import org.junit.jupiter.api.Test;

/** {@code kumo.set_memory_soft_limit} and the other limits: above the soft limit ingress refuses and says why. */
class MemoryLimitsTest extends MtaAppTestBase {

    private ToolResult swaks() {
        return CommandTool.SWAKS.run("--server", hostPort(app.esmtpAddresses().getFirst()), "--from",
                "sender@example.test", "--to", "rcpt@example.test", "--helo", "client.test");
    }

    @Test
    void aSoftLimitBelowTheResidentMemoryRefusesNewMailWithTheReasonAndTheGettersAnswer() throws Exception {
        sink = SmtpSink.start();
        app = MtaFixture.start(MtaFixture.policy(dir, sink.port(), "", """
                kumo.on('pre_init', function()
                  kumo.set_memory_hard_limit(8 * 1024 * 1024 * 1024)
                  kumo.set_memory_soft_limit(16 * 1024 * 1024)
                  kumo.set_memory_low_thresh(12 * 1024 * 1024)
                  assert(kumo.get_memory_hard_limit() == 8 * 1024 * 1024 * 1024)
                  assert(kumo.get_memory_soft_limit() == 16 * 1024 * 1024)
                  assert(kumo.get_memory_low_thresh() == 12 * 1024 * 1024)
                end)
                """));
        ToolResult refused = swaks();
        assertThat(refused.ok()).isFalse();
        assertThat(refused.stdout()).contains("<** 452 4.3.1 memory usage").contains("above the soft limit 16 MiB");
        assertThat(app.spool().count()).isZero();
    }

    @Test
    void underTheDefaultLimitsMailIsAccepted() throws Exception {
        sink = SmtpSink.start();
        app = MtaFixture.start(MtaFixture.policy(dir, sink.port(), "", ""));
        assertThat(swaks().ok()).isTrue();
        sink.awaitMessages(1, WAIT);
    }

    @Test
    void aHeapFullOfGarbageAfterAYoungCollectionIsConfirmedByAFullOneBeforeIngressRefuses() {
        double[] share = {0.92};
        int[] fullCollections = {0};
        var heap = new MemoryLimits.HeapShare(() -> share[0], () -> {
            fullCollections[0]++;
            share[0] = 0.40; // the live set: the old generation's garbage is gone
        });
        assertThat(heap.confirmed(0)).isEqualTo(0.40);
        assertThat(fullCollections[0]).isEqualTo(1);

        share[0] = 0.93; // garbage again after young collections: the confirmed share stands, no second full GC
        assertThat(heap.confirmed(MemoryLimits.CONFIRM_NANOS / 2)).isEqualTo(0.40);
        assertThat(fullCollections[0]).isEqualTo(1);
    }

    @Test
    void aHeapStillFullAfterTheFullCollectionRefusesAndIsCheckedAgainAfterTheInterval() {
        int[] fullCollections = {0};
        var heap = new MemoryLimits.HeapShare(() -> 0.95, () -> fullCollections[0]++);
        assertThat(MemoryLimits.check(0, Long.MAX_VALUE, heap.confirmed(0))).hasValue(
                "the heap is 95% full after garbage collection, try again later");
        assertThat(heap.confirmed(1)).isEqualTo(0.95);
        assertThat(fullCollections[0]).isEqualTo(1);
        heap.confirmed(MemoryLimits.CONFIRM_NANOS);
        assertThat(fullCollections[0]).isEqualTo(2);
    }

    @Test
    void belowTheLimitNoFullCollectionIsAskedFor() {
        int[] fullCollections = {0};
        var heap = new MemoryLimits.HeapShare(() -> 0.5, () -> fullCollections[0]++);
        assertThat(heap.confirmed(0)).isEqualTo(0.5);
        assertThat(fullCollections[0]).isZero();
    }

    @Test
    void theReasonNamesTheLimitOrTheHeap() {
        assertThat(MemoryLimits.check(100L << 20, 200L << 20, 0.5)).isEmpty();
        assertThat(MemoryLimits.check(300L << 20, 200L << 20, 0.5)).hasValue(
                "memory usage 300 MiB is above the soft limit 200 MiB, try again later");
        assertThat(MemoryLimits.check(100L << 20, 200L << 20, 0.95)).hasValue(
                "the heap is 95% full after garbage collection, try again later");
    }
}
