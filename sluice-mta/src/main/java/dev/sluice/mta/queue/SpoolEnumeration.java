package dev.sluice.mta.queue;

import dev.sluice.mta.message.Message;
import dev.sluice.mta.spool.Spool;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up's walk over the spool, in the background: the listeners accept mail while it runs. It reads each
 * message's envelope and meta (never its data) and schedules it as it is found ({@link ScheduledQueues#resume}).
 *
 * <p>Nothing in the spool changes here, so a crash during the walk loses nothing: the next start walks again.
 * A message is scheduled at most once: the walk takes only ids created before it started ({@code cutoff}),
 * since everything stored after that instant (ingress, log hooks) was scheduled by whoever stored it; RocksDB
 * reads a snapshot anyway, LocalDisk lists the directory as it is when it gets there.
 */
public final class SpoolEnumeration {
    private static final Logger LOG = LoggerFactory.getLogger(SpoolEnumeration.class);

    private final Spool spool;
    private final Consumer<Message> resume;
    private final Instant cutoff;
    private final long total;
    private final AtomicLong found = new AtomicLong();
    private volatile boolean done;
    private volatile boolean stopped;
    private volatile String failure;
    private Thread thread;

    /** Abandons the walk from inside the spool's iteration. */
    private static final class Stopped extends RuntimeException {
        Stopped() {
            super(null, null, false, false);
        }
    }

    /**
     * @param cutoff messages created at or after this instant are not scheduled here (they were stored after
     *               the walk began, and scheduled when stored)
     */
    public SpoolEnumeration(Spool spool, Consumer<Message> resume, Instant cutoff) {
        this.spool = spool;
        this.resume = resume;
        this.cutoff = cutoff;
        this.total = spool.count();
    }

    /** Registers {@code spool_enumeration_found}, {@code _total} and {@code _done}. */
    public SpoolEnumeration metrics(PrometheusRegistry registry) {
        GaugeWithCallback.builder().name("spool_enumeration_found")
                .help("messages found in the spool at start-up and scheduled so far")
                .callback(cb -> cb.call(found.get())).register(registry);
        GaugeWithCallback.builder().name("spool_enumeration_total")
                .help("messages the spool held when start-up's enumeration began")
                .callback(cb -> cb.call(total)).register(registry);
        GaugeWithCallback.builder().name("spool_enumeration_done")
                .help("1 once start-up's enumeration of the spool has finished")
                .callback(cb -> cb.call(done ? 1 : 0)).register(registry);
        return this;
    }

    /** Starts the walk on its own thread. */
    public synchronized void start() {
        if (thread != null) {
            throw new IllegalStateException("already started");
        }
        thread = Thread.ofPlatform().name("spool-enumeration").daemon().start(this::run);
    }

    private void run() {
        long t0 = System.nanoTime();
        try {
            spool.loadAll(m -> {
                if (stopped) {
                    throw new Stopped();
                }
                if (m.created().isBefore(cutoff)) {
                    resume.accept(m);
                    found.incrementAndGet();
                }
            });
            LOG.info("re-queued {} spooled message(s) in {} ms", found.get(), (System.nanoTime() - t0) / 1_000_000);
        } catch (Stopped s) {
            LOG.info("spool enumeration stopped after {} message(s); the rest stays in the spool", found.get());
        } catch (Exception | Error e) {
            failure = e.toString();
            LOG.error("spool enumeration failed after {} message(s): {}; the rest is scheduled at the next start",
                    found.get(), e.toString());
        } finally {
            done = true;
        }
    }

    /** Messages scheduled so far. */
    public long found() {
        return found.get();
    }

    /** What the spool held when the walk was set up (an estimate of where it ends). */
    public long total() {
        return total;
    }

    public boolean done() {
        return done;
    }

    /** Why the walk ended early, null if it did not fail. */
    public String failure() {
        return failure;
    }

    /** Stops the walk (at shutdown) and waits up to {@code millis} for it. */
    public void stop(long millis) {
        stopped = true;
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null) {
            try {
                t.join(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
