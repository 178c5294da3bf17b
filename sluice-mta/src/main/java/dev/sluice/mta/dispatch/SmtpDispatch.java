package dev.sluice.mta.dispatch;

import dev.sluice.egress.connect.Connector;
import dev.sluice.egress.delivery.SessionOpener;
import dev.sluice.mta.queue.DeliveryOutcome;
import dev.sluice.mta.queue.Dispatch;
import dev.sluice.mta.queue.ReadyMessage;
import dev.sluice.policy.throttle.Throttles;
import io.netty.channel.EventLoopGroup;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers ready messages over SMTP: one {@link ReadyQueue} per {@link ReadyMessage#readyQueueName()}
 * (egress source and site), each with up to the path's connection_limit connections through the egress
 * layer (direct, SOCKS5 or HAProxy, as the source says). Every submitted message is reported to the
 * listener exactly once, also when the queue is full, when no destination connects, and on shutdown.
 */
public final class SmtpDispatch implements Dispatch {
    private static final Logger log = LoggerFactory.getLogger(SmtpDispatch.class);

    final Connector connector;
    final EventLoopGroup loops;
    final String hostname;
    final DispatchSettings settings;
    final DispatchMetrics metrics;
    /** Opens each connection's session: the destinations over the source's route (shared with sluice deliver). */
    final SessionOpener opener;
    /** Named connection limits shared across ready queues (node-local mode). */
    final SharedLimits shared = new SharedLimits();
    /** The policy's throttle engine: the rates, and the connection limits when they are shared through Redis. */
    final Throttles throttles;
    private final Listener listener;
    private final Map<String, ReadyQueue> queues = new ConcurrentHashMap<>();
    private final Set<Entry> outstanding = ConcurrentHashMap.newKeySet();
    private final Object drained = new Object();
    private volatile boolean draining;
    /** Ready queues the operator suspended: they hand nothing to a connection ({@link #readyHold}). */
    volatile java.util.function.Predicate<String> held = name -> false;

    /**
     * @param loops    where connections live; owned by the caller (not shut down here)
     * @param hostname EHLO name when neither the path nor the source gives one
     * @param listener receives every submitted message's outcome once, on an event loop or the submitting thread
     */
    public SmtpDispatch(Connector connector, EventLoopGroup loops, String hostname, Listener listener,
                        PrometheusRegistry registry) {
        this(connector, loops, hostname, listener, registry, DispatchSettings.DEFAULT);
    }

    public SmtpDispatch(Connector connector, EventLoopGroup loops, String hostname, Listener listener,
                        PrometheusRegistry registry, DispatchSettings settings) {
        this(connector, loops, hostname, listener, registry, settings, new Throttles());
    }

    /** @param throttles the policy's ({@code Policy.throttles()}): rates and limits shared through Redis when configured */
    public SmtpDispatch(Connector connector, EventLoopGroup loops, String hostname, Listener listener,
                        PrometheusRegistry registry, DispatchSettings settings, Throttles throttles) {
        this.throttles = Objects.requireNonNull(throttles, "throttles");
        this.connector = Objects.requireNonNull(connector, "connector");
        this.loops = Objects.requireNonNull(loops, "loops");
        this.hostname = Objects.requireNonNull(hostname, "hostname");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.metrics = new DispatchMetrics(registry);
        this.opener = new SessionOpener(connector, loops, hostname);
    }

    @Override
    public void submit(ReadyMessage message) {
        Entry e = new Entry(message);
        outstanding.add(e);
        if (draining) {
            complete(null, e, Outcomes.shuttingDown());
            return;
        }
        var unroutable = SessionOpener.unroutable(message.plan(), message.message().recipientDomain());
        if (unroutable.isPresent()) {
            complete(null, e, new DeliveryOutcome(unroutable.get(), null, null, null));
            return;
        }
        String name = message.readyQueueName();
        while (true) {
            ReadyQueue q = queues.computeIfAbsent(name, n -> new ReadyQueue(n, message, this));
            if (q.submit(e)) break;
            queues.remove(name, q); // reaped just now: the next turn makes a new one
        }
        if (draining) {
            // drain started between the check and the queue's creation: make sure it drains this queue too
            queues.values().forEach(ReadyQueue::startDrain);
        }
    }

    @Override
    public void readyHold(java.util.function.Predicate<String> held) {
        this.held = Objects.requireNonNull(held, "held");
        wake();
    }

    @Override
    public List<ReadyMessage> withdraw(java.util.function.Predicate<ReadyMessage> which) {
        List<ReadyMessage> out = new ArrayList<>();
        for (ReadyQueue q : queues.values()) {
            for (Entry e : q.withdraw(which)) {
                if (e.claim()) {
                    outstanding.remove(e);
                    out.add(e.message);
                }
            }
        }
        if (outstanding.isEmpty()) {
            synchronized (drained) {
                drained.notifyAll();
            }
        }
        return out;
    }

    @Override
    public List<ReadyMessage> outstanding() {
        return outstanding.stream().map(e -> e.message).toList();
    }

    /** The last message submitted to the ready queue {@code name} (its source, plan and path config), if any. */
    public java.util.Optional<ReadyMessage> latest(String name) {
        ReadyQueue q = queues.get(name);
        return q == null ? java.util.Optional.empty() : java.util.Optional.of(q.latest());
    }

    @Override
    public void wake() {
        queues.values().forEach(ReadyQueue::pump);
    }

    @Override
    public int inFlight() {
        return outstanding.size();
    }

    /** The metrics, for tests and status output. */
    public DispatchMetrics metrics() {
        return metrics;
    }

    /** Names of the ready queues there are now (reaped ones are gone) with their waiting and connection counts. */
    public Map<String, QueueStatus> queues() {
        Map<String, QueueStatus> out = new java.util.TreeMap<>();
        queues.forEach((name, q) -> out.put(name, new QueueStatus(q.waitingCount(), q.laneCount())));
        return out;
    }

    /** One ready queue now: messages waiting for a connection, and connections (opening, busy, idle, quitting). */
    public record QueueStatus(int waiting, int connections) {}

    @Override
    public void drain(Duration timeout) {
        draining = true;
        queues.values().forEach(ReadyQueue::startDrain);
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        synchronized (drained) {
            long left;
            while (!outstanding.isEmpty() && (left = deadline - System.nanoTime()) > 0) {
                try {
                    drained.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        queues.values().forEach(ReadyQueue::forceClose);
        // whatever is still out (a connect in progress, a transaction cut off) stays in the spool
        List<Entry> left = new ArrayList<>(outstanding);
        left.forEach(e -> complete(null, e, Outcomes.shuttingDown()));
    }

    @Override
    public void close() {
        drain(Duration.ZERO);
    }

    /**
     * What a ready queue being reaped leaves behind: its metrics series, its own rate gates, its waits on named
     * limits. Called under the queue's lock, before it says it is reaped, so no new queue of its name exists yet.
     */
    void forget(ReadyQueue q) {
        shared.forget(q);
        q.ownGates().forEach(throttles::forget);
        metrics.forget(q.service);
    }

    /** A ready queue reaped itself: it leaves; the next message for its name makes a new one. */
    void reaped(ReadyQueue q) {
        queues.remove(q.name, q);
        log.debug("ready queue {} reaped after {} idle", q.name, settings.reapAfter());
    }

    /** Reports {@code e} once; later calls for the same entry are ignored. */
    void complete(ReadyQueue queue, Entry e, DeliveryOutcome outcome) {
        if (!e.claim()) return;
        outstanding.remove(e);
        String service = queue != null ? queue.service
                : DispatchMetrics.service(e.message.source().name(), e.message.plan().siteName());
        metrics.outcome(service, queue != null ? queue.proxy : DispatchMetrics.proxyLabels(e.message.source()),
                outcome.result());
        try {
            listener.completed(e.message, outcome);
        } catch (RuntimeException ex) {
            log.error("dispatch listener failed for {}", e.message.message().id(), ex);
        } finally {
            if (outstanding.isEmpty()) {
                synchronized (drained) {
                    drained.notifyAll();
                }
            }
        }
    }
}
