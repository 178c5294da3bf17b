package dev.sluice.mta.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.mta.ingress.InjectResult;
import dev.sluice.mta.ingress.ReceptionContext;
import dev.sluice.mta.log.LogWriters;
import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
import dev.sluice.mta.policy.ReceptionEvents;
import dev.sluice.mta.spool.Spool;
import dev.sluice.mta.spool.SpoolConfig;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyOptions;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The acknowledgement order: no Accepted before the spool's store completed, and one store per transaction. */
class PolicyInjectorTest {
    @TempDir
    Path dir;

    private final ExecutorService executor = Executors.newFixedThreadPool(2);
    private final HeldSpool spool = new HeldSpool();
    private final List<Message> scheduled = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        executor.shutdownNow();
    }

    /** A spool whose stores complete only when the test says so. */
    static final class HeldSpool implements Spool {
        final List<List<Message>> stores = new CopyOnWriteArrayList<>();
        final List<CompletableFuture<Void>> pending = new CopyOnWriteArrayList<>();

        @Override
        public CompletableFuture<Void> store(List<Message> messages) {
            stores.add(List.copyOf(messages));
            var f = new CompletableFuture<Void>();
            pending.add(f);
            return f;
        }

        @Override
        public CompletableFuture<Void> updateMeta(Message message) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletableFuture<Void> remove(MessageId id) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void loadAll(Consumer<Message> sink) {}

        @Override
        public byte[] readData(MessageId id) throws java.io.IOException {
            for (List<Message> stored : stores) {
                for (Message m : stored) {
                    if (m.id().equals(id)) return m.data();
                }
            }
            throw new java.io.IOException("not stored: " + id);
        }

        @Override
        public byte[] readMeta(MessageId id) throws java.io.IOException {
            throw new java.io.IOException("not kept: " + id);
        }

        @Override
        public long count() {
            return 0;
        }

        @Override
        public void start() {}

        @Override
        public SpoolConfig config() {
            return null;
        }

        @Override
        public void close() {}
    }

    private PolicyInjector injector(Policy policy) throws Exception {
        return new PolicyInjector(new ReceptionEvents(policy), spool, (m, q) -> scheduled.add(m),
                LogWriters.start(List.of(), UUID.randomUUID()), executor, Clock.systemUTC());
    }

    private Policy policy(String lua) throws Exception {
        Path file = dir.resolve("p.lua");
        Files.writeString(file, "local kumo = require 'kumo'\n" + lua);
        return Policy.load(new PolicyOptions(file, 1, List.of(), null));
    }

    private static final ReceptionContext CONTEXT = new ReceptionContext("ESMTP",
            new InetSocketAddress("127.0.0.1", 40000), new InetSocketAddress("127.0.0.1", 25), "client.test", Map.of());

    private static List<Message> transaction(String... recipients) {
        return Message.perRecipient(Instant.now(), "s@example.test", List.of(recipients), Map.of(),
                "Subject: x\r\n\r\nbody\r\n".getBytes());
    }

    @Test
    void acceptsOnlyAfterTheStoreCompletedAndStoresTheTransactionAtOnce() throws Exception {
        try (Policy p = policy("")) {
            var future = injector(p).inject(transaction("a@x.test", "b@y.test"), CONTEXT);

            await().until(() -> spool.stores.size() == 1);
            assertThat(spool.stores.getFirst()).hasSize(2);
            // a wrongly ordered injector would answer while the store is held back
            await().during(java.time.Duration.ofMillis(300)).atMost(java.time.Duration.ofSeconds(5))
                    .until(() -> !future.isDone());
            assertThat(scheduled).isEmpty();

            spool.pending.getFirst().complete(null);
            assertThat(future.get()).allMatch(r -> r instanceof InjectResult.Accepted);
            assertThat(scheduled).hasSize(2);
        }
    }

    @Test
    void aFailedStoreIsATemporaryFailureAndNothingIsScheduled() throws Exception {
        try (Policy p = policy("")) {
            var future = injector(p).inject(transaction("a@x.test"), CONTEXT);
            await().until(() -> spool.pending.size() == 1);
            spool.pending.getFirst().completeExceptionally(new java.io.IOException("disk on fire"));
            assertThat(future.get()).singleElement().isInstanceOf(InjectResult.TemporaryFailure.class);
            assertThat(scheduled).isEmpty();
        }
    }

    /**
     * The ESMTP client gets one DATA reply for all recipients: a policy error for one of them defers the whole
     * transaction and stores none of it (as KumoMTA), so the client's retry cannot deliver the others twice.
     */
    @Test
    void policyErrorDefersTheWholeTransaction() throws Exception {
        try (Policy p = policy("""
                kumo.on('smtp_server_message_received', function(msg)
                  if msg:recipient().email == 'bad@x.test' then error('no such tenant') end
                end)
                """)) {
            var future = injector(p).inject(transaction("good@x.test", "bad@x.test"), CONTEXT);
            // the held spool would never complete a store: wait for the answer or for a store, whichever comes
            await().until(() -> future.isDone() || !spool.stores.isEmpty());
            assertThat(spool.stores).isEmpty();
            List<InjectResult> results = future.get();
            assertThat(results).hasSize(2).allSatisfy(r -> assertThat(r).isInstanceOfSatisfying(
                    InjectResult.TemporaryFailure.class, t -> assertThat(t.text()).contains("no such tenant")));
            assertThat(scheduled).isEmpty();
        }
    }

    @Test
    void nullQueueIsAcceptedWithoutTouchingTheSpool() throws Exception {
        try (Policy p = policy("kumo.on('smtp_server_message_received', function(msg) msg:set_meta('queue', 'null') end)")) {
            var results = injector(p).inject(transaction("a@x.test"), CONTEXT).get();
            assertThat(results).singleElement().isInstanceOf(InjectResult.Accepted.class);
            assertThat(spool.stores).isEmpty();
            assertThat(scheduled).isEmpty();
        }
    }
}
