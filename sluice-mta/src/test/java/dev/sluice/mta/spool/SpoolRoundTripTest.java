package dev.sluice.mta.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.IntStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SpoolRoundTripTest {
    @TempDir
    Path dir;

    private final SpoolMetrics metrics = new SpoolMetrics(new PrometheusRegistry());

    private Spool open(SpoolConfig.Kind kind, boolean flush) throws Exception {
        Spool spool = Spools.open(SpoolConfig.of("data", dir.resolve("spool"), kind, flush), metrics);
        spool.start();
        return spool;
    }

    private static List<Message> load(Spool spool) throws Exception {
        List<Message> out = new ArrayList<>();
        spool.loadAll(out::add);
        return out;
    }

    private static void assertSame(Message actual, Message expected) {
        assertThat(actual.id()).isEqualTo(expected.id());
        assertThat(actual.sender()).isEqualTo(expected.sender());
        assertThat(actual.recipient()).isEqualTo(expected.recipient());
        assertThat(actual.metaMap()).isEqualTo(expected.metaMap());
        assertThat(actual.data()).isEqualTo(expected.data());
    }

    @ParameterizedTest
    @EnumSource(SpoolConfig.Kind.class)
    void storedMessagesComeBackWithMetaAndDataAfterRestart(SpoolConfig.Kind kind) throws Exception {
        List<Message> messages = IntStream.range(0, 50).mapToObj(TestMessages::message).toList();
        try (Spool spool = open(kind, true)) {
            spool.store(messages.subList(0, 10)).get();
            CompletableFuture.allOf(messages.subList(10, 50).stream()
                    .map(m -> spool.store(List.of(m))).toArray(CompletableFuture[]::new)).get();
            assertThat(spool.count()).isEqualTo(50);
            List<Message> loaded = load(spool);
            assertThat(loaded).hasSize(50);
        }
        try (Spool reopened = open(kind, true)) {
            assertThat(reopened.count()).isEqualTo(50);
            List<Message> loaded = load(reopened);
            assertThat(loaded).extracting(Message::id)
                    .containsExactlyElementsOf(messages.stream().map(Message::id).sorted().toList());
            for (Message expected : messages) {
                Message actual = loaded.stream().filter(m -> m.id().equals(expected.id())).findFirst().orElseThrow();
                assertSame(actual, expected);
            }
            // nested meta keeps Lua's types: integers as Long, lists and tables as List and Map
            assertThat(loaded.getFirst().meta("nested")).isEqualTo(messages.getFirst().meta("nested"));
            assertThat(loaded.getFirst().meta("num")).isInstanceOf(Long.class);
        }
    }

    /**
     * Messages whose data is in the file it was received into (two recipients sharing one view with a Received
     * prefix, and one whose headers were replaced) are spooled from that file, byte for byte, with the digest their
     * bytes have on the heap.
     */
    @ParameterizedTest
    @EnumSource(SpoolConfig.Kind.class)
    void messagesReceivedIntoAFileAreSpooledFromIt(SpoolConfig.Kind kind) throws Exception {
        byte[] body = "Subject: big\r\n\r\n".concat("0123456789abcdef\r\n".repeat(150_000))
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        var file = dev.sluice.mta.message.SpillFile.create(dir.resolve("incoming"));
        file.append(body, 0, body.length);
        byte[] received = "Received: by test\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        var shared = file.finish().withPrefix(received);
        var edited = shared.replaceHead(received.length + 14, "X-New: 1\r\n".getBytes(
                java.nio.charset.StandardCharsets.US_ASCII));
        java.time.Instant now = java.time.Instant.now();
        List<Message> messages = List.of(
                new Message(MessageId.next(now), "a@example.com", "b@example.net", Map.of(), shared),
                new Message(MessageId.next(now), "a@example.com", "c@example.net", Map.of(), shared),
                new Message(MessageId.next(now), "a@example.com", "d@example.net", Map.of(), edited));
        Message.digestAll(messages);
        byte[] whole = new byte[received.length + body.length];
        System.arraycopy(received, 0, whole, 0, received.length);
        System.arraycopy(body, 0, whole, received.length, body.length);
        assertThat(messages.getFirst().dataDigest()).isEqualTo(
                new Message(MessageId.next(now), "a@example.com", "b@example.net", Map.of(), whole).dataDigest());
        try (Spool spool = open(kind, true)) {
            spool.store(messages).get();
        }
        file.close();
        try (Spool reopened = open(kind, true)) {
            Map<String, Message> loaded = new java.util.HashMap<>();
            load(reopened).forEach(m -> loaded.put(m.recipient(), m));
            assertThat(loaded).hasSize(3);
            assertThat(java.util.Arrays.equals(loaded.get("b@example.net").data(), whole)).isTrue();
            assertThat(java.util.Arrays.equals(loaded.get("c@example.net").data(), whole)).isTrue();
            assertThat(new String(loaded.get("d@example.net").data(), java.nio.charset.StandardCharsets.US_ASCII))
                    .isEqualTo("X-New: 1\r\n" + new String(body, 14, body.length - 14,
                            java.nio.charset.StandardCharsets.US_ASCII));
            assertThat(loaded.get("b@example.net").dataDigest()).isEqualTo(messages.getFirst().dataDigest());
        }
    }

    @ParameterizedTest
    @EnumSource(SpoolConfig.Kind.class)
    void aMessageReadBackKeepsNoDataOnTheHeapAndStillBatchesBySizeAndDigest(SpoolConfig.Kind kind) throws Exception {
        List<Message> messages = IntStream.range(0, 5).mapToObj(TestMessages::message).toList();
        Message.digestAll(messages);
        try (Spool spool = open(kind, true)) {
            spool.store(messages).get();
        }
        try (Spool reopened = open(kind, true)) {
            for (Message m : load(reopened)) {
                Message expected = messages.stream().filter(e -> e.id().equals(m.id())).findFirst().orElseThrow();
                assertThat(m.dataInMemory()).as("data is read from the spool when asked, not at start-up").isFalse();
                assertThat(m.metaPacked()).as("meta stays JSON until a key is asked for").isTrue();
                m.shrink(reopened);
                assertThat(m.metaOnlyInSpool()).as("the spool has this meta: memory keeps none").isTrue();
                assertThat(m.size()).isEqualTo(expected.data().length);
                assertThat(m.dataDigest()).isEqualTo(expected.dataDigest()).isNotZero();
                assertThat(m.data()).isEqualTo(expected.data()); // read now, and not kept
                assertThat(m.dataInMemory()).isFalse();
                assertThat(m.meta("num")).isEqualTo(expected.meta("num")); // read back from the spool
                m.setMeta("num", 7L);
                m.shrink(reopened);
                assertThat(m.metaOnlyInSpool()).as("changed meta stays in memory until stored").isFalse();
                reopened.updateMeta(m).get();
                m.metaStored(m.metaVersion());
                assertThat(m.metaOnlyInSpool()).isTrue();
                assertThat(m.meta("num")).isEqualTo(7L);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(SpoolConfig.Kind.class)
    void removedMessagesStayRemovedAndMetaUpdatesPersist(SpoolConfig.Kind kind) throws Exception {
        List<Message> messages = IntStream.range(0, 6).mapToObj(TestMessages::message).toList();
        try (Spool spool = open(kind, false)) {
            spool.store(messages).get();
            spool.remove(messages.get(1).id()).get();
            spool.remove(messages.get(4).id()).get();
            spool.remove(MessageId.parse("0".repeat(32))).get(); // unknown id: not an error
            Message updated = messages.get(2);
            updated.setMeta("num_attempts", 3L);
            updated.setMeta("queue", Map.of("name", "campaign:tenant@example.net"));
            spool.updateMeta(updated).get();
            spool.updateMeta(messages.get(1)).get(); // already removed: must not come back
            assertThat(spool.count()).isEqualTo(4);
        }
        try (Spool spool = open(kind, false)) {
            List<Message> loaded = load(spool);
            assertThat(loaded).extracting(Message::id).containsExactly(
                    messages.get(0).id(), messages.get(2).id(), messages.get(3).id(), messages.get(5).id());
            Message reloaded = loaded.get(1);
            assertThat(reloaded.meta("num_attempts")).isEqualTo(3L);
            assertThat(reloaded.meta("queue")).isEqualTo(Map.of("name", "campaign:tenant@example.net"));
            assertThat(reloaded.data()).isEqualTo(messages.get(2).data());
            assertThat(spool.count()).isEqualTo(4);
        }
    }

    @ParameterizedTest
    @EnumSource(SpoolConfig.Kind.class)
    void storeThenRemoveInOneBatchLeavesNothing(SpoolConfig.Kind kind) throws Exception {
        Message m = TestMessages.message(1);
        try (Spool spool = open(kind, true)) {
            CompletableFuture<Void> stored = spool.store(List.of(m));
            CompletableFuture<Void> removed = spool.remove(m.id());
            CompletableFuture.allOf(stored, removed).get();
            assertThat(spool.count()).isZero();
        }
        try (Spool spool = open(kind, true)) {
            assertThat(load(spool)).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(SpoolConfig.Kind.class)
    void metaThatIsNotJsonFailsTheStoreWithoutStoringAnything(SpoolConfig.Kind kind) throws Exception {
        Message good = TestMessages.message(1);
        Message bad = TestMessages.message(2);
        bad.setMeta("handle", new Object());
        try (Spool spool = open(kind, true)) {
            assertThatThrownBy(() -> spool.store(List.of(good, bad)).get())
                    .isInstanceOf(ExecutionException.class).hasMessageContaining(bad.id().toString());
            assertThat(spool.count()).isZero();
            assertThat(load(spool)).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(SpoolConfig.Kind.class)
    void writesAfterCloseFail(SpoolConfig.Kind kind) throws Exception {
        Spool spool = open(kind, false);
        spool.close();
        assertThatThrownBy(() -> spool.store(List.of(TestMessages.message(1))).get())
                .isInstanceOf(ExecutionException.class).hasMessageContaining("closed");
    }

    @ParameterizedTest
    @EnumSource(SpoolConfig.Kind.class)
    void withoutFlushNothingIsFsynced(SpoolConfig.Kind kind) throws Exception {
        try (Spool spool = open(kind, false)) {
            spool.store(IntStream.range(0, 20).mapToObj(TestMessages::message).toList()).get();
        }
        assertThat(metrics.fsyncs("data")).isZero();
        assertThat(metrics.writes("data")).isPositive();
    }
}
