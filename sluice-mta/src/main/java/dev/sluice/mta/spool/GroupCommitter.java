package dev.sluice.mta.spool;

import java.io.UncheckedIOException;

import dev.sluice.mta.message.Message;

import dev.sluice.mta.message.MessageId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The spool's single writer thread. It takes everything pending, writes it as one batch (one sync when the
 * spool flushes), and only then completes the futures of every caller in the batch: while one commit is
 * being synced the next callers queue up, so under load a sync is shared by many messages.
 */
final class GroupCommitter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GroupCommitter.class);
    private static final int MAX_OPS = 8192;
    private static final long MAX_BYTES = 32L << 20;

    /** Writes one batch; with {@code sync} it must be durable against power loss when this returns. */
    @FunctionalInterface
    interface BatchWriter {
        void write(List<SpoolOp> ops, boolean sync) throws Exception;

        /**
         * Called on the writer thread after a write failed, at most once per {@link #RETRY}, until it returns
         * normally: brings the store back into a state that takes writes (RocksDB: reopen, since a failed WAL
         * write leaves it in a background error state that RocksJava cannot resume).
         */
        default void recover() throws Exception {}
    }

    /** How often a failed spool is retried (reopened) while it refuses writes. */
    static final java.time.Duration RETRY = java.time.Duration.ofSeconds(1);

    /** Work for the writer thread alone, between two batches (no write runs meanwhile). */
    @FunctionalInterface
    interface Exclusive {
        void run() throws Exception;
    }

    /** Writes to commit, or (with {@code exclusive}) work to run alone. */
    private record Pending(List<SpoolOp> ops, CompletableFuture<Void> done, Exclusive exclusive) {
        Pending(List<SpoolOp> ops, CompletableFuture<Void> done) {
            this(ops, done, null);
        }
    }

    private static final Pending STOP = new Pending(List.of(), new CompletableFuture<>());

    private final String name;
    private final boolean flush;
    private final BatchWriter writer;
    private final Syncer syncer;
    private final SpoolMetrics metrics;
    private final SpoolIds ids;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Object lock = new Object();
    private final Thread thread;
    private boolean started; // guarded by lock
    private boolean closed;
    private volatile String problem; // the last write's error while the store refuses writes, else null
    private long lastRecovery;
    private long failedWhileBroken; // further failed writes after the first, logged at debug only

    /**
     * @param ids the ids in the spool; this thread adds and removes ids once their commit succeeded
     */
    GroupCommitter(String name, boolean flush, BatchWriter writer, Syncer syncer, SpoolMetrics metrics,
                   SpoolIds ids) {
        this.name = name;
        this.flush = flush;
        this.writer = writer;
        this.syncer = syncer;
        this.metrics = metrics;
        this.ids = ids;
        this.thread = Thread.ofPlatform().name("spool-writer-" + name).daemon(true).unstarted(this::run);
    }

    /** Starts the writer thread; what was submitted before waits for it. Later calls do nothing. */
    void start() {
        synchronized (lock) {
            if (started || closed) {
                return;
            }
            started = true;
        }
        thread.start();
    }

    /** The spool's {@code store}: the messages' meta is encoded here, on the caller's thread. */
    CompletableFuture<Void> store(List<Message> messages) {
        try {
            return submit(SpoolOp.stores(messages));
        } catch (UncheckedIOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    CompletableFuture<Void> updateMeta(Message message) {
        try {
            return submit(List.of(new SpoolOp.UpdateMeta(message.id(), MetaCodec.encode(message))));
        } catch (UncheckedIOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    CompletableFuture<Void> remove(MessageId id) {
        return submit(List.of(new SpoolOp.Remove(id)));
    }

    CompletableFuture<Void> submit(List<SpoolOp> ops) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        synchronized (lock) {
            if (closed) {
                done.completeExceptionally(new IllegalStateException("spool " + name + " is closed"));
                return done;
            }
            queue.add(new Pending(ops, done));
        }
        return done;
    }

    /**
     * Runs {@code work} on the writer thread once the writes submitted before it are committed and before any
     * submitted after it: the store may be replaced meanwhile (RocksDB's quarantine of damaged files).
     */
    CompletableFuture<Void> exclusive(Exclusive work) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        synchronized (lock) {
            if (closed) {
                done.completeExceptionally(new IllegalStateException("spool " + name + " is closed"));
                return done;
            }
            queue.add(new Pending(List.of(), done, work));
        }
        return done;
    }

    private void run() {
        List<Pending> batch = new ArrayList<>();
        boolean stop = false;
        Pending held = null; // exclusive work met while batching: it runs once the batch before it is committed
        while (!stop) {
            batch.clear();
            if (held != null) {
                runExclusive(held);
                held = null;
                continue;
            }
            try {
                if (problem == null) {
                    batch.add(queue.take());
                } else {
                    // the store failed: retry it even while nothing is submitted (ingress refuses meanwhile)
                    Pending p = queue.poll(RETRY.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                    recover();
                    if (p == null) {
                        continue;
                    }
                    batch.add(p);
                }
            } catch (InterruptedException e) {
                break; // only close() interrupts, after a timeout; pending futures fail below
            }
            long bytes = 0;
            int ops = 0;
            Pending next = batch.getFirst();
            while (true) {
                if (next.exclusive() != null) {
                    batch.removeLast();
                    held = next;
                    break;
                }
                if (next == STOP) {
                    batch.removeLast();
                    stop = true;
                    break;
                }
                for (SpoolOp op : next.ops()) {
                    bytes += op.size();
                }
                ops += next.ops().size();
                if (ops >= MAX_OPS || bytes >= MAX_BYTES || (next = queue.poll()) == null) {
                    break;
                }
                batch.add(next);
            }
            if (!batch.isEmpty()) {
                commit(batch);
            }
        }
        failRemaining();
    }

    private void runExclusive(Pending p) {
        try {
            p.exclusive().run();
            p.done().complete(null);
        } catch (Throwable e) {
            p.done().completeExceptionally(e);
        }
    }

    private void commit(List<Pending> batch) {
        // Drop meta updates for messages no longer (or never) in the spool, so they cannot leave orphan meta.
        Map<MessageId, Boolean> live = new HashMap<>();
        List<SpoolOp> effective = new ArrayList<>();
        boolean durable = false;
        for (Pending p : batch) {
            for (SpoolOp op : p.ops()) {
                switch (op) {
                    case SpoolOp.Store s -> {
                        live.put(s.id(), true);
                        effective.add(s);
                        durable = true;
                    }
                    case SpoolOp.UpdateMeta u -> {
                        if (live.getOrDefault(u.id(), ids.contains(u.id()))) {
                            effective.add(u);
                            durable = true;
                        }
                    }
                    case SpoolOp.Remove r -> {
                        live.put(r.id(), false);
                        effective.add(r);
                    }
                }
            }
        }
        // Removals alone are not synced: losing one to a power cut means a duplicate delivery, not a loss.
        boolean sync = flush && durable;
        try {
            if (!effective.isEmpty()) {
                syncer.commit(() -> writer.write(effective, sync));
                metrics.writes.labelValues(name).inc();
                metrics.batchSize.labelValues(name).observe(effective.size());
            }
        } catch (Throwable e) {
            if (problem == null) {
                LOG.error("spool {}: write of {} operations failed: {}; refusing new messages until the spool"
                        + " takes writes again", name, effective.size(), e.toString());
                lastRecovery = System.nanoTime();
                failedWhileBroken = 0;
            } else {
                failedWhileBroken++;
                LOG.debug("spool {}: write of {} operations failed: {}", name, effective.size(), e.toString());
            }
            problem = "spool " + name + ": writes are failing (" + e.getMessage() + ")";
            for (Pending p : batch) {
                p.done().completeExceptionally(e);
            }
            return;
        }
        if (problem != null) {
            LOG.info("spool {}: writes succeed again ({} more failed meanwhile)", name, failedWhileBroken);
            problem = null;
        }
        live.forEach((id, present) -> {
            if (present) {
                ids.stored(id);
            } else {
                ids.removed(id);
            }
        });
        for (Pending p : batch) {
            p.done().complete(null);
        }
    }

    /** After a failure, at most once per {@link #RETRY}: let the writer recover its store. */
    private void recover() {
        if (problem == null || System.nanoTime() - lastRecovery < RETRY.toNanos()) {
            return;
        }
        lastRecovery = System.nanoTime();
        try {
            writer.recover();
            LOG.info("spool {}: recovered after failed writes ({} more failed meanwhile); accepting writes again", name,
                    failedWhileBroken);
            problem = null;
        } catch (Exception e) {
            LOG.debug("spool {}: recovery failed: {}", name, e.toString());
        }
    }

    /** Why the store refuses writes now (the last write failed and it has not recovered yet); empty if it takes them. */
    java.util.Optional<String> problem() {
        return java.util.Optional.ofNullable(problem);
    }

    private void failRemaining() {
        List<Pending> rest = new ArrayList<>();
        queue.drainTo(rest);
        for (Pending p : rest) {
            p.done().completeExceptionally(new IllegalStateException("spool " + name + " is closed"));
        }
    }

    /** Commits everything submitted before, then stops the thread. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            if (!started) { // never started: nothing was written, and nothing submitted will be
                failRemaining();
                return;
            }
            queue.add(STOP);
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            thread.interrupt();
            Thread.currentThread().interrupt();
        }
    }
}
