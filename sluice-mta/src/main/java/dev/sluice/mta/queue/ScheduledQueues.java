package dev.sluice.mta.queue;

import dev.sluice.egress.health.SourceHealth;
import dev.sluice.egress.route.DestinationPlanner;
import dev.sluice.egress.delivery.SessionOpener;
import dev.sluice.egress.smtp.DeliveryResult;
import dev.sluice.egress.smtp.SmtpResponse;
import dev.sluice.mta.log.LogWriters;
import dev.sluice.mta.log.RecordType;
import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.Scheduling;
import dev.sluice.mta.spool.Spool;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.egress.EgressConfigResolver;
import dev.sluice.policy.egress.EgressPath;
import dev.sluice.policy.egress.EgressPool;
import dev.sluice.policy.egress.EgressSource;
import dev.sluice.policy.egress.QueueConfig;
import dev.sluice.policy.egress.QueueProtocol;
import dev.sluice.policy.egress.WeightedRoundRobin;
import dev.sluice.policy.throttle.ThrottleResult;
import dev.sluice.policy.throttle.Throttles;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scheduled queues: every spooled message waits here for its next attempt. One scheduler thread takes
 * messages as they fall due from a single {@link DelayQueue} (no task per message), and hands each to the
 * policy executor, which checks expiry ({@code max_age}, or the message's own {@code expires}), the message's
 * scheduling constraints ({@code first_attempt}, delivery window: outside them it waits, without counting an
 * attempt), {@code max_message_rate} and the policy's {@code throttle_insert_ready_queue} ({@link ReadyGate}: a
 * message it delays waits again, not an attempt), picks a source from the
 * queue's pool (weighted round robin, skipping suspended sources), plans the destinations ({@code mx_list} or
 * MX, path config per site; none for a {@code custom_lua} queue, whose policy delivers) and submits a
 * {@link ReadyMessage} to {@link Dispatch}. Outcomes come back through
 * the dispatch listener: delivered and bounced messages leave the spool, transient failures are rescheduled
 * with exponential back-off (attempts and due time persisted in the spooled meta, honoured after a restart).
 */
public final class ScheduledQueues implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ScheduledQueues.class);
    /** Meta keys persisted with the message, so that a restart resumes the back-off. */
    public static final String META_ATTEMPTS = "sluice_num_attempts";
    public static final String META_DUE = "sluice_due";
    /** How long to wait when every source of the pool is suspended (the attempt is not counted). */
    static final Duration NO_SOURCE_DELAY = Duration.ofSeconds(60);
    /** The longest wait (uniformly random) of a message that found its ready queue full (KumoMTA's jitter). */
    static final Duration READY_FULL_DELAY = Duration.ofSeconds(60);
    /**
     * How long a scheduled queue sends the due messages for a source straight back (with the same jitter) after
     * one of them found that source's ready queue full: no meta read, no plan, no dispatch for a message that
     * would only find it full again. The first message due after it tries the ready queue again.
     */
    static final Duration READY_FULL_HOLD = Duration.ofSeconds(1);
    /** How soon a failed transfer to another node is tried again (KumoMTA's xfer queues: retry_interval 10s). */
    static final Duration XFER_RETRY = Duration.ofSeconds(10);

    private final EgressConfigResolver resolver;
    /** (scheduled queue, source) whose ready queue was found full, and until when its due messages go back. */
    private final Map<FullReadyQueue, Instant> fullReadyQueues = new ConcurrentHashMap<>();

    private record FullReadyQueue(String scheduledQueue, String source) {}
    private final DestinationPlanner planner;
    private final SourceHealth health;
    private final Spool spool;
    private final QueueRecords records;
    private final QueueMetrics metrics;
    private final Executor policyExecutor;
    private final ExecutorService outcomes;
    private final InstantSource clock;
    private final RetrySchedule retry = new RetrySchedule(() -> ThreadLocalRandom.current().nextDouble());
    private final DelayQueue<Entry> due = new DelayQueue<>();
    private final Map<EgressPool, WeightedRoundRobin> selectors = new ConcurrentHashMap<>();
    private final Throttles throttles;
    /**
     * The scheduled queues there are: one {@link Tally} per queue, whose QueueName its waiting messages share (a name
     * per message would cost ~200 bytes each). A queue with nothing waiting for its {@code reap_interval} is reaped.
     */
    private final Map<QueueName, Tally> queues = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicBoolean reaping = new java.util.concurrent.atomic.AtomicBoolean();
    private long lastReap = System.nanoTime();
    private final AtomicInteger waiting = new AtomicInteger();
    private final AtomicLong delivered = new AtomicLong();
    private Thread scheduler; // from start()
    private final Dispatch dispatch;
    private volatile AdminRules admin = AdminRules.NONE;
    private volatile XferQueue.Sender xfer;
    private final ReadyGate gate;
    private volatile boolean closed;

    /** How long a message waits when the spool could not give back its meta or data (reopening after a failed write). */
    static final Duration SPOOL_UNREADABLE_DELAY = Duration.ofSeconds(5);
    /** How often the scheduler looks for empty scheduled queues to reap. */
    static final Duration REAP_CHECK = Duration.ofSeconds(1);

    /**
     * One scheduled queue's bookkeeping: its shared name, the messages waiting in it (in the delay queue) and when
     * that count last changed. Changed only inside the map's compute for its key; read outside it as a hint.
     */
    private static final class Tally {
        final QueueName name;
        volatile int waiting;
        volatile long lastChange;

        Tally(QueueName name) {
            this.name = name;
        }
    }

    /**
     * A message waiting for its attempt number {@code attempts + 1} at {@code dueNanos}; {@code held} when it
     * waits for a suspension to end (released at once when the suspension is cancelled).
     */
    private record Entry(Message message, QueueName queue, int attempts, long dueNanos, boolean held) implements Delayed {
        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(dueNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed o) {
            return Long.compare(dueNanos, ((Entry) o).dueNanos);
        }
    }

    /**
     * @param policyExecutor where policy calls run (they block on Lua): never an event loop
     * @param dispatch       builds the dispatch that will report outcomes to this queue layer
     */
    public ScheduledQueues(EgressConfigResolver resolver, DestinationPlanner planner, SourceHealth health, Spool spool,
                           LogWriters logs, QueueMetrics metrics, Executor policyExecutor, InstantSource clock,
                           Function<Dispatch.Listener, Dispatch> dispatch) {
        this(resolver, planner, health, spool, logs, metrics, policyExecutor, clock, dispatch, ReadyGate.OPEN,
                new Throttles());
    }

    /**
     * @param gate      asked before each due message goes toward a ready queue (throttle_insert_ready_queue)
     * @param throttles the policy's throttle engine: the queue config's max_message_rate, shared through Redis when
     *                  configured, under KumoMTA's name {@code schedq-<queue>-message-rate}
     */
    public ScheduledQueues(EgressConfigResolver resolver, DestinationPlanner planner, SourceHealth health, Spool spool,
                           LogWriters logs, QueueMetrics metrics, Executor policyExecutor, InstantSource clock,
                           Function<Dispatch.Listener, Dispatch> dispatch, ReadyGate gate, Throttles throttles) {
        this.gate = gate;
        this.throttles = throttles;
        this.resolver = resolver;
        this.planner = planner;
        this.health = health;
        this.spool = spool;
        this.records = new QueueRecords(logs);
        this.metrics = metrics;
        this.policyExecutor = policyExecutor;
        this.clock = clock;
        this.outcomes = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("mta-outcomes").daemon().factory());
        this.dispatch = dispatch.apply(this::completed);
        metrics.watch(this);
    }

    /** Starts the scheduler thread: from now on messages fall due and go to dispatch. */
    public synchronized void start() {
        if (scheduler != null) throw new IllegalStateException("started already");
        if (closed) return;
        scheduler = Thread.ofPlatform().name("mta-scheduler").daemon().start(this::run);
    }

    /**
     * The operator's bounces and suspensions, consulted from now on (each time a message falls due, and by
     * dispatch before a ready queue sends); {@link AdminRules#NONE} until set.
     */
    public void admin(AdminRules rules) {
        this.admin = java.util.Objects.requireNonNull(rules, "rules");
        dispatch.readyHold(name -> rules.readySuspended(name).isPresent());
    }

    /** Sends the messages of the transfer queues ({@link XferQueue}); until set, they wait. */
    public void xferSender(XferQueue.Sender sender) {
        this.xfer = java.util.Objects.requireNonNull(sender, "sender");
    }

    /**
     * A message another node transferred here, stored in the spool with its saved queue info restored: an XferIn
     * record (the peer as the site), then it waits for the due time its first node gave it, under its own queue.
     */
    /**
     * An AdminRebind record for a message the policy moved itself ({@code kumo.xfer.xfer}, {@code cancel_xfer}):
     * from {@code from} to the queue its meta names now.
     */
    public void logRebind(Message message, String from, String reason) {
        QueueName now = QueueName.of(message);
        records.local(RecordType.AdminRebind, message, from, "localhost", 250, "2.0.0",
                "Rebound " + (now.name().equals(from) ? "" : "to " + now.name() + " ") + "with reason: " + reason,
                attemptsOf(message), null, null, clock.instant());
    }

    public void xferIn(Message message, String peer) {
        message.metaStored(message.metaVersion());
        QueueName q = QueueName.of(message);
        records.local(RecordType.XferIn, message, q.name(), peer, 250, null, "", attemptsOf(message), null, null,
                clock.instant());
        resume(message);
    }

    /**
     * A freshly received message whose store in the spool completed: first attempt now. From here on its data is not on the heap
     * (read from the spool when an attempt starts) and its meta is packed: see {@link Message#shrink}.
     */
    public void insert(Message message, QueueName queue) {
        message.metaStored(message.metaVersion()); // the caller's store of it completed
        schedule(message, queue, 0, Duration.ZERO);
    }

    /**
     * A message found in the spool at start-up, with the attempts persisted: a message never tried is due
     * now; a deferred one keeps its persisted due time, but waits no longer than its back-off under the queue
     * config in force now (an operator who lowered retry_interval and restarted sees it apply at once).
     */
    public void resume(Message message) {
        QueueName queue = QueueName.of(message);
        int attempts = attemptsOf(message);
        schedule(message, queue, attempts, resumeDelay(message, queue, attempts));
    }

    private Duration resumeDelay(Message m, QueueName q, int attempts) {
        if (attempts == 0 || !(m.meta(META_DUE) instanceof String text)) return Duration.ZERO;
        Duration left;
        try {
            left = Duration.between(clock.instant(), Instant.parse(text));
        } catch (java.time.format.DateTimeParseException e) {
            return Duration.ZERO;
        }
        if (left.isNegative()) return Duration.ZERO;
        try {
            QueueConfig config = configFor(q);
            return min(left, RetrySchedule.base(config, attempts));
        } catch (PolicyException | RuntimeException e) {
            return left; // the policy's trouble shows at the attempt; keep the schedule it had
        }
    }

    /** Messages waiting in the scheduled queues (not in dispatch). */
    public int scheduled() {
        return waiting.get();
    }

    /**
     * Messages waiting in each scheduled queue now (queue name → count), sorted by name. A weakly consistent
     * look at the delay queue: it does not block the scheduler and may miss a message moving at that instant.
     */
    public java.util.SortedMap<String, Integer> snapshot() {
        java.util.SortedMap<String, Integer> out = new java.util.TreeMap<>();
        for (Entry e : due) {
            out.merge(e.queue().name(), 1, Integer::sum);
        }
        return out;
    }

    /**
     * A queued message as the operator sees it: its scheduled queue, the attempts made, and when the next is due
     * (null while it is in dispatch: in a ready queue or a transaction).
     */
    public record Queued(Message message, String queue, int attempts, Instant due) {}

    /** The message {@code id} if it is queued here or in dispatch now (a weakly consistent look). */
    public Optional<Queued> find(dev.sluice.mta.message.MessageId id) {
        long nanos = System.nanoTime();
        Instant now = clock.instant();
        for (Entry e : due) {
            if (e.message().id().equals(id)) {
                return Optional.of(queued(e, now, nanos));
            }
        }
        for (ReadyMessage r : dispatch.outstanding()) {
            if (r.message().id().equals(id)) {
                return Optional.of(new Queued(r.message(), r.queueName(), r.attempt() - 1, null));
            }
        }
        return Optional.empty();
    }

    /** Up to {@code limit} messages waiting in the scheduled queue {@code queueName}, soonest due first. */
    public java.util.List<Queued> waiting(String queueName, int limit) {
        long nanos = System.nanoTime();
        Instant now = clock.instant();
        return due.stream().filter(e -> e.queue().name().equals(queueName)).sorted()
                .limit(Math.max(0, limit)).map(e -> queued(e, now, nanos)).toList();
    }

    private static Queued queued(Entry e, Instant now, long nanos) {
        return new Queued(e.message(), e.queue().name(), e.attempts(),
                now.plusNanos(Math.max(0, e.dueNanos() - nanos)));
    }

    /** The policy's queue config for the scheduled queue {@code queueName} (get_queue_config, cached). */
    public QueueConfig queueConfig(String queueName) throws PolicyException {
        return configFor(QueueName.parse(queueName));
    }

    /** Messages in dispatch now. */
    public int inFlight() {
        return dispatch.inFlight();
    }

    public Dispatch dispatch() {
        return dispatch;
    }

    private static int attemptsOf(Message m) {
        return m.meta(META_ATTEMPTS) instanceof Number n ? n.intValue() : 0;
    }

    private void schedule(Message message, QueueName queue, int attempts, Duration delay) {
        schedule(message, queue, attempts, delay, false);
    }

    private void schedule(Message message, QueueName queue, int attempts, Duration delay, boolean held) {
        if (closed) {
            return; // stays in the spool; the next start picks it up
        }
        // every message here is spooled: a waiting message keeps no data and packed meta (about 0.5 KiB in all)
        message.shrink(spool);
        long now = System.nanoTime();
        Tally tally = queues.compute(queue, (k, t) -> {
            Tally x = t != null ? t : new Tally(k);
            x.waiting++;
            x.lastChange = now;
            return x;
        });
        waiting.incrementAndGet();
        due.add(new Entry(message, tally.name, attempts,
                System.nanoTime() + Math.max(0, delay.toNanos()), held));
    }

    /**
     * Makes the messages already queued follow the admin rules in force now: messages waiting in a ready queue
     * (not yet handed to a connection) whose scheduled queue is bounced or suspended, or whose ready queue is
     * suspended, go back to the scheduled queues (not an attempt) and are decided again at once; messages waiting
     * here whose queue is bounced are bounced now; messages held by a suspension that no longer applies are due
     * now. Messages in a transaction finish it; a bounce catches them if they come back for another attempt.
     * Returns how many messages were bounced by this sweep.
     */
    public int sweep() {
        AdminRules rules = admin;
        for (ReadyMessage r : dispatch.withdraw(r -> rules.readySuspended(r.readyQueueName()).isPresent()
                || rules.suspended(QueueName.of(r.message())).isPresent()
                || rules.bounce(QueueName.of(r.message())).isPresent())) {
            schedule(r.message(), QueueName.of(r.message()), r.attempt() - 1, Duration.ZERO);
        }
        int bounced = 0;
        for (Entry e : due) {
            Optional<AdminRules.Bounce> bounce = rules.bounce(e.queue());
            boolean release = e.held() && rules.suspended(e.queue()).isEmpty();
            if ((bounce.isEmpty() && !release) || !due.remove(e)) {
                continue; // not ours to move, or the scheduler took it meanwhile
            }
            left(e.queue());
            if (bounce.isPresent()) {
                adminBounce(e.message(), e.queue(), e.attempts(), bounce.get());
                bounced++;
            } else {
                schedule(e.message(), e.queue(), e.attempts(), Duration.ZERO);
            }
        }
        dispatch.wake(); // a released ready queue sends what waits in it
        return bounced;
    }

    /** How a rebind changes one message (sets meta, or runs the policy's {@code rebind_message}). */
    @FunctionalInterface
    public interface Rebinder {
        void rebind(Message message) throws PolicyException;
    }

    /**
     * The operator's rebind: every queued message whose scheduled queue {@code matches} (those waiting in a ready
     * queue are taken back first, not an attempt) is changed by {@code change}, its meta saved, an AdminRebind
     * record written (unless {@code suppressLogging}), and queued again under the queue its meta names now: due
     * at once when that queue changed or {@code alwaysFlush}, else at the time it had. A message whose change
     * fails keeps its queue and time (logged). Messages in a transaction are left alone. Returns how many
     * messages were rebound.
     */
    public int rebind(java.util.function.Predicate<QueueName> matches, Rebinder change, boolean alwaysFlush,
                      String reason, boolean suppressLogging) {
        for (ReadyMessage r : dispatch.withdraw(r -> matches.test(QueueName.of(r.message())))) {
            schedule(r.message(), QueueName.of(r.message()), r.attempt() - 1, Duration.ZERO);
        }
        int rebound = 0;
        long nanos = System.nanoTime();
        for (Entry e : due) {
            if (!matches.test(e.queue()) || !due.remove(e)) {
                continue; // not a match, or the scheduler took it meanwhile
            }
            left(e.queue());
            Message m = e.message();
            Duration left = Duration.ofNanos(Math.max(0, e.dueNanos() - nanos));
            try {
                change.rebind(m);
            } catch (PolicyException | RuntimeException ex) {
                LOG.warn("rebind of {} failed, it keeps its queue: {}", m.id(), ex.getMessage());
                schedule(m, e.queue(), e.attempts(), left, e.held());
                continue;
            }
            QueueName now = QueueName.of(m);
            boolean moved = !now.equals(e.queue());
            // a change may set the attempts (a transfer starts its own count; its cancellation restores the old)
            int attempts = m.meta(META_ATTEMPTS) instanceof Number n ? n.intValue() : e.attempts();
            spool.updateMeta(m).whenComplete((ok, error) -> {
                if (error != null) {
                    LOG.warn("could not persist the rebound meta of {}: {}", m.id(), error.getMessage());
                }
            });
            if (!suppressLogging) {
                records.local(RecordType.AdminRebind, m, e.queue().name(), "localhost", 250, "2.0.0",
                        "Rebound " + (moved ? "to " + now.name() + " " : "") + "with reason: " + reason,
                        attempts, null, null, clock.instant());
            }
            Duration delay = moved || alwaysFlush ? Duration.ZERO : left;
            if (XferQueue.isXferQueue(e.queue().name()) && !XferQueue.isXferQueue(now.name())) {
                delay = savedDue(m); // a cancelled transfer: due when it was before the transfer
            }
            schedule(m, now, attempts, delay);
            rebound++;
        }
        dispatch.wake();
        return rebound;
    }

    /** How long until the due time persisted in the meta of {@code m} (none, or past: now). */
    private Duration savedDue(Message m) {
        if (m.meta(META_DUE) instanceof String text) {
            try {
                Duration left = Duration.between(clock.instant(), Instant.parse(text));
                return left.isNegative() ? Duration.ZERO : left;
            } catch (java.time.format.DateTimeParseException ignored) {
                // a damaged value: due now
            }
        }
        return Duration.ZERO;
    }

    /** Bounces {@code m} for the operator: an AdminBounce record (unless suppressed), out of the spool. */
    private void adminBounce(Message m, QueueName q, int attempts, AdminRules.Bounce bounce) {
        if (!bounce.suppressLogging()) {
            records.local(RecordType.AdminBounce, m, q.name(), "localhost", 551, "5.7.1",
                    "Administrator bounced with reason: " + bounce.reason(), attempts, null, null, clock.instant());
        }
        metrics.outcome(RecordType.AdminBounce.name(), null);
        spool.remove(m.id());
        bounce.bounced(q.name());
    }

    private void run() {
        while (!closed) {
            Entry e;
            try {
                e = due.poll(REAP_CHECK.toNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException ie) {
                return;
            }
            reapSoon();
            if (e == null) continue;
            left(e.queue());
            try {
                policyExecutor.execute(() -> promoteOrWait(e, Map.of()));
            } catch (RuntimeException rejected) {
                LOG.debug("policy executor closed; {} stays in the spool", e.message().id());
            }
        }
    }

    /** A message left the delay queue of {@code q} (to an attempt, a bounce, another queue). */
    private void left(QueueName q) {
        waiting.decrementAndGet();
        long now = System.nanoTime();
        queues.computeIfPresent(q, (k, t) -> {
            t.waiting--;
            t.lastChange = now;
            return t;
        });
    }

    /** On the scheduler thread, at most once per {@link #REAP_CHECK}: reaps empty queues on the policy executor. */
    private void reapSoon() {
        long now = System.nanoTime();
        if (now - lastReap < REAP_CHECK.toNanos()) return;
        lastReap = now;
        if (queues.values().stream().noneMatch(t -> t.waiting == 0) || !reaping.compareAndSet(false, true)) return;
        try {
            policyExecutor.execute(() -> {
                try {
                    reapEmpty();
                } finally {
                    reaping.set(false);
                }
            });
        } catch (RuntimeException rejected) {
            reaping.set(false); // closing
        }
    }

    /**
     * Reaps each scheduled queue that has had nothing waiting for its {@code reap_interval} (KumoMTA's; its config
     * is asked on this policy thread): its bookkeeping and its rate's node-local state go; the next message for it
     * makes it again. A message in an attempt at that moment makes it again when it comes back.
     */
    private void reapEmpty() {
        for (Tally t : queues.values()) {
            if (t.waiting != 0) continue;
            QueueConfig config;
            try {
                config = configFor(t.name);
            } catch (PolicyException | RuntimeException e) {
                config = QueueConfig.DEFAULT;
            }
            long idle = config.reapInterval().toNanos();
            long now = System.nanoTime();
            boolean[] gone = new boolean[1];
            queues.computeIfPresent(t.name, (k, x) -> {
                if (x.waiting != 0 || now - x.lastChange < idle) return x;
                gone[0] = true;
                return null;
            });
            if (gone[0]) {
                config.maxMessageRate().ifPresent(r -> throttles.forget("schedq-" + t.name.name() + "-message-rate", r));
                fullReadyQueues.keySet().removeIf(k -> k.scheduledQueue().equals(t.name.name()));
                LOG.debug("scheduled queue {} reaped after {} empty", t.name.name(), config.reapInterval());
            }
        }
    }

    /** The scheduled queues there are now: those with messages waiting, and empty ones not reaped yet. */
    public int queueCount() {
        return queues.size();
    }

    /**
     * {@link #promote}, except that a message whose meta or data the spool cannot give back just now (it is
     * reopening after a failed write) waits {@link #SPOOL_UNREADABLE_DELAY} and falls due again: not an attempt, and
     * never left out of the queues (it used to end the task with an exception and wait for the next restart).
     */
    private void promoteOrWait(Entry e, Map<String, Instant> skipped) {
        try {
            promote(e, skipped);
        } catch (java.io.UncheckedIOException unreadable) {
            LOG.warn("{} waits {} s: {}", e.message().id(), SPOOL_UNREADABLE_DELAY.toSeconds(), unreadable.getMessage());
            schedule(e.message(), e.queue(), e.attempts(), SPOOL_UNREADABLE_DELAY, e.held());
        }
    }

    /**
     * On the policy executor: admin bounce and suspension, expiry, rate, source, plan, then dispatch.
     * {@code skipped}: sources whose ready queue for this message is suspended by the operator (tried again
     * without them, as KumoMTA picks another source of the pool; when none is left the message waits for the
     * earliest end of those suspensions, not an attempt).
     */
    private void promote(Entry e, Map<String, Instant> skipped) {
        Message m = e.message();
        QueueName q = e.queue();
        int attempt = e.attempts() + 1;
        AdminRules rules = admin;
        Optional<AdminRules.Bounce> bounce = rules.bounce(q);
        if (bounce.isPresent()) {
            adminBounce(m, q, e.attempts(), bounce.get());
            return;
        }
        Optional<AdminRules.Hold> hold = rules.suspended(q);
        if (hold.isPresent()) { // not an attempt: waits for the end of the suspension (or its cancellation)
            schedule(m, q, e.attempts(), Duration.between(clock.instant(), hold.get().until()), true);
            return;
        }
        if (XferQueue.isXferQueue(q.name())) { // the operator's transfer to another node: not the policy's queue
            transfer(e);
            return;
        }
        QueueConfig config;
        try {
            config = configFor(q);
        } catch (PolicyException | RuntimeException ex) {
            deferAfterLocalError(e, QueueConfig.DEFAULT, null, null, "get_queue_config failed: " + ex.getMessage());
            return;
        }
        Instant now = clock.instant();
        Optional<Scheduling> scheduling = scheduling(m);
        Instant expiry = expiry(m, scheduling, config);
        Instant allowed = scheduling.map(s -> s.adjust(now)).orElse(now);
        if (!now.isBefore(expiry) || !allowed.isBefore(expiry)) {
            records.local(RecordType.Expiration, m, q.name(), "", 551, "5.4.7", scheduling.flatMap(Scheduling::expires)
                    .map(x -> "message expired: not delivered by its scheduled expiry " + x)
                    .orElse("message expired: not delivered within max_age " + config.maxAge()), e.attempts(), null, null, now);
            metrics.outcome(RecordType.Expiration.name(), null);
            spool.remove(m.id());
            return;
        }
        if (allowed.isAfter(now)) { // before first_attempt or outside the delivery window: not an attempt
            schedule(m, q, e.attempts(), Duration.between(now, allowed));
            return;
        }
        if (config.maxMessageRate().isPresent()) {
            ThrottleResult rate = throttles.throttle("schedq-" + q.name() + "-message-rate", config.maxMessageRate().get());
            if (rate.throttled()) {
                schedule(m, q, e.attempts(), rate.retryAfter());
                return;
            }
        }
        Optional<Instant> putOff;
        try {
            putOff = gate.delayed(m, q);
        } catch (PolicyException | RuntimeException ex) {
            deferAfterLocalError(e, config, null, null, "throttle_insert_ready_queue failed: " + ex.getMessage());
            return;
        }
        if (putOff.isPresent() && putOff.get().isAfter(clock.instant())) { // throttled by the policy: not an attempt
            metrics.throttledByPolicy();
            schedule(m, q, e.attempts(), Duration.between(clock.instant(), putOff.get()));
            return;
        }
        EgressPool pool;
        Optional<String> sourceName;
        EgressSource source;
        try {
            pool = resolver.pool(config.poolName());
            WeightedRoundRobin wrr = selectors.computeIfAbsent(pool, WeightedRoundRobin::new);
            sourceName = wrr.next(s -> health.isSuspended(s) || skipped.containsKey(s));
            if (sourceName.isEmpty() && !skipped.isEmpty()) {
                holdForReadyQueues(e, pool, skipped);
                return;
            }
            if (sourceName.isEmpty()) {
                LOG.debug("no eligible source in pool {} for {}; waiting", pool.name(), m.id());
                schedule(m, q, e.attempts(), min(NO_SOURCE_DELAY, config.retryInterval()));
                return;
            }
            if (foundFullJustNow(q, sourceName.get())) { // not an attempt, as when the ready queue says full
                schedule(m, q, e.attempts(), readyFullDelay());
                return;
            }
            source = resolver.source(sourceName.get());
        } catch (PolicyException | RuntimeException ex) {
            deferAfterLocalError(e, config, config.poolName(), null, "egress config failed: " + ex.getMessage());
            return;
        }
        if (config.protocol() instanceof QueueProtocol.CustomLua lua) { // the policy delivers: no destinations to plan
            submit(e, skipped, new ReadyMessage(m, q.name(), pool.name(), source, null, attempt, lua));
            return;
        }
        String domain = q.deliveryDomain();
        planner.plan(domain, config.mxList(), site -> CompletableFuture.supplyAsync(() -> path(domain, source, site),
                        policyExecutor), source.remotePort())
                .whenComplete((plan, error) -> {
                    if (error != null) {
                        Throwable cause = error instanceof CompletionException && error.getCause() != null
                                ? error.getCause() : error;
                        deferAfterLocalError(e, config, pool.name(), source.name(),
                                "planning delivery to " + domain + " failed: " + cause.getMessage());
                        return;
                    }
                    Optional<DeliveryResult> nowhere = SessionOpener.unroutable(plan, domain);
                    if (nowhere.isPresent()) {
                        noDestination(e, config, pool.name(), source.name(), plan, nowhere.get());
                    } else {
                        submit(e, skipped, new ReadyMessage(m, q.name(), pool.name(), source, plan, attempt));
                    }
                });
    }

    /**
     * Sends a message of a transfer queue to its target node: it leaves the spool only once the target answered
     * with the new id (an XferOut record); any failure (refused, unreachable, cut midway) is a TransientFailure
     * and it is tried again after {@link #XFER_RETRY}, until it expires (max_age 7 days from its reception).
     */
    private void transfer(Entry e) {
        Message m = e.message();
        QueueName q = e.queue();
        XferQueue.Sender sender = xfer;
        Optional<java.net.URI> target = XferQueue.target(q.name());
        Instant now = clock.instant();
        if (!now.isBefore(expiry(m, Optional.empty(), QueueConfig.DEFAULT))) {
            records.local(RecordType.Expiration, m, q.name(), "", 551, "5.4.7", "message expired: not transferred "
                    + "within max_age " + QueueConfig.DEFAULT.maxAge(), e.attempts(), null, null, now);
            metrics.outcome(RecordType.Expiration.name(), null);
            spool.remove(m.id());
            return;
        }
        if (sender == null || target.isEmpty()) {
            schedule(m, q, e.attempts(), XFER_RETRY);
            return;
        }
        CompletableFuture<String> sent;
        try {
            sent = sender.send(m, target.get());
        } catch (RuntimeException ex) {
            sent = CompletableFuture.failedFuture(ex);
        }
        sent.whenComplete((id, error) -> {
            try {
                outcomes.execute(() -> transferred(e, target.get(), id, error));
            } catch (RuntimeException rejected) {
                LOG.warn("transfer outcome of {} after close: it stays in the spool", m.id());
            }
        });
    }

    private void transferred(Entry e, java.net.URI target, String id, Throwable error) {
        Message m = e.message();
        int attempt = e.attempts() + 1;
        if (error == null) {
            records.local(RecordType.XferOut, m, e.queue().name(), target.toString(), 250, null, "new id is " + id,
                    attempt, null, null, clock.instant());
            metrics.outcome(RecordType.XferOut.name(), null);
            spool.remove(m.id());
            return;
        }
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        String text = "transfer to " + target + " failed: " + (cause.getMessage() == null
                ? cause.getClass().getSimpleName() : cause.getMessage());
        LOG.warn("{} stays here: {}", m.id(), text);
        records.local(RecordType.TransientFailure, m, e.queue().name(), target.toString(), 451, "4.4.4", text,
                attempt, null, null, clock.instant());
        metrics.outcome(RecordType.TransientFailure.name(), null);
        schedule(m, e.queue(), attempt, XFER_RETRY);
    }

    /** Hands {@code ready} to dispatch, unless the operator suspended its ready queue: then another source. */
    private void submit(Entry e, Map<String, Instant> skipped, ReadyMessage ready) {
        Optional<AdminRules.Hold> hold = admin.readySuspended(ready.readyQueueName());
        if (hold.isEmpty()) {
            dispatch.submit(ready);
            return;
        }
        var more = new java.util.HashMap<>(skipped);
        more.put(ready.source().name(), hold.get().until());
        Map<String, Instant> next = Map.copyOf(more);
        try {
            policyExecutor.execute(() -> promoteOrWait(e, next));
        } catch (RuntimeException rejected) {
            LOG.debug("policy executor closed; {} stays in the spool", e.message().id());
        }
    }

    /**
     * Every usable source's ready queue for this message is suspended: it waits (not an attempt) until the
     * earliest of those suspensions ends; a cancelled one releases it at once ({@link #sweep()}).
     */
    private void holdForReadyQueues(Entry e, EgressPool pool, Map<String, Instant> skipped) {
        Instant now = clock.instant();
        Instant until = skipped.values().stream().min(Instant::compareTo).orElse(now.plus(NO_SOURCE_DELAY));
        Duration wait = Duration.between(now, until);
        LOG.debug("every source of pool {} has its ready queue for {} suspended ({}); waiting {}", pool.name(),
                e.message().id(), skipped, wait);
        schedule(e.message(), e.queue(), e.attempts(), wait, true);
    }

    /** The policy's get_queue_config for {@code q} (cached by the resolver). */
    private QueueConfig configFor(QueueName q) throws PolicyException {
        return resolver.queueConfig(q.domain(), q.tenant(), q.campaign(), q.routingDomain());
    }

    private EgressPath path(String domain, EgressSource source, String site) {
        try {
            return resolver.path(domain, source.name(), site);
        } catch (PolicyException e) {
            throw new CompletionException(e);
        }
    }

    /** The plan has no destination: the egress layer's result for it (bounced when permanent, else deferred). */
    private void noDestination(Entry e, QueueConfig config, String pool, String source, DestinationPlanner.Plan plan,
                               DeliveryResult result) {
        SmtpResponse r = result.response();
        if (result instanceof DeliveryResult.Permanent) {
            records.local(RecordType.Bounce, e.message(), e.queue().name(), plan.siteName(), r.code(),
                    r.enhanced().toString(), r.content(), e.attempts() + 1, pool, source, clock.instant());
            metrics.outcome(RecordType.Bounce.name(), source);
            spool.remove(e.message().id());
            return;
        }
        deferAfterLocalError(e, config, pool, source, r.content());
    }

    /** A failure before any connection (policy error, DNS): counts as an attempt, logged as TransientFailure (451 4.4.4). */
    private void deferAfterLocalError(Entry e, QueueConfig config, String pool, String source, String text) {
        LOG.warn("{} deferred: {}", e.message().id(), text);
        records.local(RecordType.TransientFailure, e.message(), e.queue().name(), "", 451,
                SessionOpener.NO_ROUTE_TRANSIENT.toString(), text, e.attempts() + 1, pool, source, clock.instant());
        metrics.outcome(RecordType.TransientFailure.name(), source);
        reschedule(e.message(), e.queue(), e.attempts() + 1, config);
    }

    /** Dispatch's listener: hop off the event loop before logging and touching the spool. */
    private void completed(ReadyMessage ready, DeliveryOutcome outcome) {
        try {
            outcomes.execute(() -> handle(ready, outcome));
        } catch (RuntimeException rejected) {
            LOG.warn("outcome of {} after close: it stays in the spool", ready.message().id());
        }
    }

    private void handle(ReadyMessage ready, DeliveryOutcome outcome) {
        Message m = ready.message();
        if (outcome.readyQueueFull()) {
            // as KumoMTA: not an attempt and no record; back to the scheduled queue for up to a minute (jitter), so
            // that a backlog falling due at once does not churn through max_ready as failures, each one logged
            // and written to the spool
            QueueName q = QueueName.of(m);
            fullReadyQueues.put(new FullReadyQueue(q.name(), ready.source().name()),
                    clock.instant().plus(READY_FULL_HOLD));
            schedule(m, q, ready.attempt() - 1, readyFullDelay());
            return;
        }
        records.attempt(ready, outcome, clock.instant());
        metrics.outcome(QueueRecords.typeOf(outcome.result()).name(), ready.source().name());
        metrics.providerOutcome(switch (outcome.result()) {
            case DeliveryResult.Delivered d -> 0;
            case DeliveryResult.Transient t -> 1;
            case DeliveryResult.Permanent p -> 2;
        }, ready.provider(), ready.poolName(), ready.source().name());
        switch (outcome.result()) {
            case DeliveryResult.Delivered d -> {
                delivered.incrementAndGet();
                spool.remove(m.id());
            }
            case DeliveryResult.Permanent p -> spool.remove(m.id());
            case DeliveryResult.Transient t -> {
                QueueName q = QueueName.of(m);
                QueueConfig config;
                try {
                    config = configFor(q);
                } catch (PolicyException | RuntimeException ex) {
                    config = QueueConfig.DEFAULT; // cached in the usual case; never lose the message over this
                }
                reschedule(m, q, ready.attempt(), config);
            }
        }
    }

    /** Next attempt after {@code attempts}, never later than the expiry time (where it then expires). */
    private void reschedule(Message m, QueueName q, int attempts, QueueConfig config) {
        Instant now = clock.instant();
        Instant next = now.plus(retry.delay(config, attempts));
        Instant expiry = expiry(m, scheduling(m), config);
        if (next.isAfter(expiry)) {
            next = expiry;
        }
        m.setMeta(META_ATTEMPTS, (long) attempts);
        m.setMeta(META_DUE, next.toString());
        int version = m.metaVersion();
        spool.updateMeta(m).whenComplete((ok, error) -> {
            if (error != null) {
                LOG.warn("could not persist the schedule of {}: {}", m.id(), error.getMessage());
            } else {
                m.metaStored(version); // from now on the waiting message needs no meta in memory
            }
        });
        schedule(m, q, attempts, Duration.between(now, next));
    }

    /** The message's own expiry ({@code msg:set_scheduling{expires}}) or else its queue's max_age. */
    private static Instant expiry(Message m, Optional<Scheduling> scheduling, QueueConfig config) {
        return scheduling.flatMap(Scheduling::expires).map(OffsetDateTime::toInstant)
                .orElseGet(() -> m.created().plus(config.maxAge()));
    }

    /** The policy's scheduling constraints of {@code m}; a damaged entry in the meta is logged and ignored. */
    private static Optional<Scheduling> scheduling(Message m) {
        try {
            return Scheduling.of(m);
        } catch (IllegalArgumentException e) {
            LOG.warn("{}: ignoring its scheduling meta: {}", m.id(), e.getMessage());
            return Optional.empty();
        }
    }

    private static Duration readyFullDelay() {
        return Duration.ofMillis(ThreadLocalRandom.current().nextLong(READY_FULL_DELAY.toMillis()));
    }

    /** Whether a message of {@code q} found {@code source}'s ready queue full less than READY_FULL_HOLD ago. */
    private boolean foundFullJustNow(QueueName q, String source) {
        FullReadyQueue key = new FullReadyQueue(q.name(), source);
        Instant until = fullReadyQueues.get(key);
        if (until == null) return false;
        if (clock.instant().isBefore(until)) return true;
        fullReadyQueues.remove(key, until);
        return false;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** No more messages go to dispatch; waiting ones stay in the spool (first step of a drain). */
    public void stopScheduling() {
        Thread t;
        synchronized (this) {
            closed = true;
            t = scheduler;
        }
        if (t != null) t.interrupt();
    }

    /**
     * Stops scheduling and finishes handling the outcomes already reported (log records, spool removals and
     * updates are submitted). Does not close dispatch: drain it before this.
     */
    @Override
    public void close() {
        stopScheduling();
        outcomes.shutdown();
        try {
            outcomes.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
