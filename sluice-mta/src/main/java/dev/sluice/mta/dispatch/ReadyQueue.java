package dev.sluice.mta.dispatch;

import dev.sluice.egress.delivery.SessionOpener;
import dev.sluice.egress.smtp.DeliveryResult;
import dev.sluice.mta.queue.DeliveryOutcome;
import dev.sluice.mta.queue.ReadyMessage;
import dev.sluice.policy.egress.EgressPath;
import dev.sluice.policy.egress.ThrottleSpec;
import dev.sluice.policy.throttle.Lease;
import dev.sluice.policy.throttle.LeaseAttempt;
import dev.sluice.policy.throttle.Permits;
import java.time.Duration;
import java.util.Comparator;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The messages of one (egress source, site) waiting for a connection, and the connections ({@link Lane}s)
 * that carry them: FIFO, at most max_ready waiting, at most the path's connection_limit lanes (connecting,
 * busy, idle or quitting). A lane sends batches: the next message together with the waiting recipients of the
 * same reception ({@link Entry#batchesWith}), up to max_recipients_per_batch RCPT TOs in one transaction. A
 * lane is opened for a waiting message when no idle lane can take it; after a whole plan failed to connect no
 * lane is opened for the back-off.
 *
 * <p>One lock: every field of the queue, and its bookkeeping of each lane ({@link Slot}: the lane's unsent batch,
 * its shared limits and leases), is guarded by this object's monitor, whichever thread (a lane's event loop, a
 * submitter, a timer) calls in. Lanes see the queue only as a {@link LaneQueue} and the queue never writes a lane's
 * fields: it answers them. Outcomes are reported, lanes started and offered batches outside the lock.
 *
 * <p>A queue with nothing waiting, no connection and nothing under way for {@link DispatchSettings#reapAfter} is
 * reaped, as KumoMTA reaps idle ready queues: it leaves the dispatcher (which makes a new one for the next
 * message), with its metrics series and its own rate gates; a submission that finds it reaped goes to the new one.
 *
 * <p>Rates ({@code max_message_rate}, {@code additional_message_rate_throttles}, {@code max_connection_rate}) are
 * {@link Permits} of the policy's throttle engine under KumoMTA's names ({@code kumomta.max_message_rate.<queue>},
 * the named ones as named, {@code <queue>-connection-rate}): node-local, or shared through Redis, where a check is
 * asynchronous and wakes the queue when decided. With Redis throttles, each connection also holds a lease under
 * {@code kumomta.connection_limit.<queue>} ({@code connection_limit}) and under each name of
 * {@code additional_connection_limits}, taken before it opens and given back when it closes.
 */
final class ReadyQueue implements LaneQueue {
    /** How far into the waiting messages a batch looks for companions. */
    private static final int SCAN_LIMIT = 256;

    final String name;

    @Override
    public String name() {
        return name;
    }
    final String service;
    /** The forward proxy's metric labels, null for a direct source (a ready queue has one source). */
    final String[] proxy;
    final SmtpDispatch dispatch;

    private final ArrayDeque<Entry> waiting = new ArrayDeque<>();
    private final ArrayDeque<Lane> idle = new ArrayDeque<>();
    /** Every lane (connecting, busy, idle or quitting) with the queue's bookkeeping of it. */
    private final Map<Lane, Slot> lanes = new LinkedHashMap<>();
    private volatile ReadyMessage latest;
    private boolean draining;
    private long backoffUntil;
    private boolean backoffTimerArmed;
    // the rate gates of the path last seen, in KumoMTA's order (smallest rate first)
    private EgressPath gatesOf;
    private List<Permits> messageGates = List.of();
    private List<Permits> connectionGates = List.of();
    // with Redis throttles: leases taken for the next connection, and whether a take is under way
    private List<Lease> bankedLeases;
    private boolean acquiringLeases;
    // reaping: when the queue last changed, whether a check is armed, and whether it is gone
    private long lastActive = System.nanoTime();
    private boolean reapTimerArmed;
    private boolean reaped;

    /** The queue's bookkeeping of one lane. */
    private static final class Slot {
        /** The batch handed to the lane and not sent yet; null once sending. */
        List<Entry> pending;
        /** The queue told the lane to quit: it no longer counts as an active lane against connection_limit. */
        boolean retiring;
        /** The named shared connection limits this connection counts against (released when it closes). */
        final List<String> sharedLimits;
        /** With Redis throttles: the connection's leases (connection_limit and named limits), given back when it closes. */
        final List<Lease> leases;

        Slot(List<Entry> pending, List<String> sharedLimits, List<Lease> leases) {
            this.pending = pending;
            this.sharedLimits = sharedLimits;
            this.leases = leases;
        }
    }

    ReadyQueue(String name, ReadyMessage first, SmtpDispatch dispatch) {
        this.name = name;
        this.service = DispatchMetrics.service(first.source().name(), first.plan().siteName());
        this.proxy = DispatchMetrics.proxyLabels(first.source());
        this.dispatch = dispatch;
        this.latest = first;
    }

    ReadyMessage latest() {
        return latest;
    }

    private int connectionLimit() {
        return latest.plan().path().connectionLimit();
    }

    /** Takes {@code e}, or returns false when this queue was reaped (the caller submits to a new one). */
    boolean submit(Entry e) {
        DeliveryOutcome refused = null;
        synchronized (this) {
            if (reaped) return false;
            latest = e.message;
            lastActive = System.nanoTime();
            if (draining) {
                refused = Outcomes.shuttingDown();
            } else if (waiting.size() >= dispatch.settings.maxReady()) {
                dispatch.metrics.readyFull(service);
                refused = Outcomes.readyQueueFull(name, dispatch.settings.maxReady());
            } else {
                waiting.addLast(e);
                dispatch.metrics.readyChanged(service, 1);
            }
        }
        if (refused != null) {
            dispatch.complete(this, e, refused);
            return true;
        }
        pump();
        return true;
    }

    /**
     * Hands waiting messages to idle lanes, then opens lanes for the rest, up to the limit. A message that can
     * join the batch of a lane which has not sent it yet stays waiting for that lane ({@link #startSending}),
     * so the recipients of one reception arriving a moment apart do not each open a connection.
     */
    void pump() {
        List<Runnable> actions = new ArrayList<>();
        synchronized (this) {
            retireExcessIdle(actions);
            ArrayDeque<Entry> parked = new ArrayDeque<>();
            Map<Slot, Integer> room = pendingRoom();
            boolean suspended = dispatch.held.test(name); // by the operator: nothing goes out until released
            while (!draining && !suspended && !waiting.isEmpty()) {
                if (parkFor(waiting.peekFirst(), room)) {
                    parked.addLast(waiting.pollFirst());
                    continue;
                }
                long messageWait = acquire(messageGates());
                if (messageWait != 0) { // max_message_rate (and named rates): wait for the next permit
                    retryAfter(messageWait);
                    break;
                }
                Lane free = idle.pollFirst();
                if (free != null) {
                    List<Entry> batch = takeBatch();
                    Slot slot = lanes.get(free);
                    slot.pending = batch;
                    room.put(slot, roomOf(batch));
                    actions.add(() -> free.offer(batch));
                    continue;
                }
                if (lanes.size() >= connectionLimit()) {
                    giveBack(messageGates);
                    break;
                }
                long wait = backoffUntil - System.nanoTime();
                if (wait > 0) { // after a failed plan
                    giveBack(messageGates);
                    armBackoffTimer(wait);
                    break;
                }
                long connectionWait = acquire(connectionGates);
                if (connectionWait != 0) { // max_connection_rate
                    giveBack(messageGates);
                    retryAfter(connectionWait);
                    break;
                }
                List<String> shared = List.of();
                List<Lease> leases = List.of();
                if (dispatch.throttles.sharing()) { // connection_limit and named limits: leases in Redis
                    leases = takeLeases();
                    if (leases == null) {
                        giveBack(messageGates);
                        giveBack(connectionGates);
                        break;
                    }
                } else { // named shared limits (a provider's connections across its sites): woken when one closes
                    shared = dispatch.shared.tryOpen(latest.plan().path().additionalConnectionLimits(), this);
                    if (shared == null) {
                        giveBack(messageGates);
                        giveBack(connectionGates);
                        break;
                    }
                }
                List<Entry> batch = takeBatch();
                Lane lane = new Lane(this, batch);
                Slot slot = new Slot(batch, shared, leases);
                lanes.put(lane, slot);
                room.put(slot, roomOf(batch));
                // on a loop, not here: a lane that fails at once would pump again, recursing per message
                actions.add(() -> dispatch.loops.next().execute(lane::start));
            }
            while (!parked.isEmpty()) waiting.addFirst(parked.pollLast());
            if (bankedLeases != null && (waiting.isEmpty() || draining)) { // nothing to open a connection for
                List<Lease> unused = bankedLeases;
                bankedLeases = null;
                actions.add(() -> unused.forEach(Lease::release));
            }
            if (idleNow()) armReapTimer(dispatch.settings.reapAfter().toNanos());
        }
        actions.forEach(Runnable::run);
    }

    /**
     * The path's connection_limit went down (a new config, e.g. a TSA SetConfig): idle lanes beyond it quit now;
     * busy ones retire after their transaction ({@link #nextFor}). Under the lock.
     */
    private void retireExcessIdle(List<Runnable> actions) {
        for (int excess = activeLanes() - connectionLimit(); excess > 0 && !idle.isEmpty(); excess--) {
            Lane lane = idle.pollLast();
            lanes.get(lane).retiring = true;
            actions.add(lane::quit);
        }
    }

    /** Lanes not told to stop (under the lock). */
    private int activeLanes() {
        int n = 0;
        for (Slot l : lanes.values()) {
            if (!l.retiring) n++;
        }
        return n;
    }

    /**
     * Takes one permit of each gate, or none: 0 when all were taken, else {@link Permits#PENDING} or the nanoseconds
     * to wait (the permits taken before the one that said no go back).
     */
    private long acquire(List<Permits> gates) {
        for (int i = 0; i < gates.size(); i++) {
            long r = gates.get(i).tryTake(this::wakeAfter);
            if (r != 0) {
                giveBack(gates.subList(0, i));
                return r;
            }
        }
        return 0;
    }

    private static void giveBack(List<Permits> gates) {
        gates.forEach(Permits::giveBack);
    }

    /** A gate said "not now": pump again after that long (a pending shared check wakes the queue itself). */
    private void retryAfter(long nanos) {
        if (nanos != Permits.PENDING) armBackoffTimer(nanos);
    }

    /** Called back by a gate (on a Redis or timer thread): pump on an event loop after {@code nanos}. */
    private void wakeAfter(long nanos) {
        if (nanos <= 0) {
            dispatch.loops.next().execute(this::pump);
        } else {
            dispatch.loops.next().schedule(this::pump, nanos, TimeUnit.NANOSECONDS);
        }
    }

    /** The gates of the current path: message rates smallest first, as KumoMTA checks them. */
    private List<Permits> messageGates() {
        EgressPath path = latest.plan().path();
        if (path != gatesOf) {
            gatesOf = path;
            List<Map.Entry<String, ThrottleSpec>> rates = new ArrayList<>();
            path.maxMessageRate().ifPresent(r -> rates.add(Map.entry("kumomta.max_message_rate." + name, r)));
            rates.addAll(path.additionalMessageRates().entrySet());
            rates.sort(Comparator.comparingDouble(e -> e.getValue().limit() / (double) e.getValue().period().toNanos()));
            messageGates = rates.stream().map(e -> dispatch.throttles.permits(e.getKey(), e.getValue())).toList();
            connectionGates = path.maxConnectionRate()
                    .map(r -> List.of(dispatch.throttles.permits(name + "-connection-rate", r))).orElse(List.of());
        }
        return messageGates;
    }

    /**
     * The leases for one more connection when they were taken already; else null, and a take starts (its end wakes
     * the queue): {@code connection_limit} under {@code kumomta.connection_limit.<queue>}, then each named limit, the
     * smallest first as KumoMTA takes them; none is kept unless all are had.
     */
    private List<Lease> takeLeases() {
        if (bankedLeases != null) {
            List<Lease> l = bankedLeases;
            bankedLeases = null;
            return l;
        }
        if (!acquiringLeases) {
            acquiringLeases = true;
            List<Map.Entry<String, Integer>> limits = new ArrayList<>();
            limits.add(Map.entry("kumomta.connection_limit." + name, connectionLimit()));
            limits.addAll(latest.plan().path().additionalConnectionLimits().entrySet());
            limits.sort(Map.Entry.comparingByValue());
            acquireLeases(limits, 0, new ArrayList<>());
        }
        return null;
    }

    private void acquireLeases(List<Map.Entry<String, Integer>> limits, int i, List<Lease> held) {
        Map.Entry<String, Integer> limit = limits.get(i);
        dispatch.throttles.lease(limit.getKey(), limit.getValue()).whenComplete((attempt, error) -> {
            if (attempt instanceof LeaseAttempt.Granted g) {
                held.add(g.lease());
                if (i + 1 < limits.size()) {
                    acquireLeases(limits, i + 1, held);
                    return;
                }
                boolean keep;
                synchronized (this) {
                    acquiringLeases = false;
                    keep = !draining;
                    if (keep) bankedLeases = List.copyOf(held);
                }
                if (!keep) held.forEach(Lease::release);
                wakeAfter(0);
                return;
            }
            held.forEach(Lease::release);
            synchronized (this) {
                acquiringLeases = false;
            }
            // full: ask again when a lease may have expired, and at least every half second (others release theirs)
            long retry = attempt instanceof LeaseAttempt.Full f ? f.retryAfter().toNanos() : LEASE_POLL.toNanos();
            wakeAfter(Math.min(retry, LEASE_POLL.toNanos()));
        });
    }

    private static final Duration LEASE_POLL = Duration.ofMillis(500);

    /** Lanes holding a batch they have not sent yet, with the recipients each can still take. */
    private Map<Slot, Integer> pendingRoom() {
        Map<Slot, Integer> room = new HashMap<>();
        for (Slot l : lanes.values()) {
            if (l.pending != null) room.put(l, roomOf(l.pending));
        }
        return room;
    }

    private static int roomOf(List<Entry> batch) {
        return batch.getFirst().message.plan().path().maxRecipientsPerBatch() - batch.size();
    }

    /** Whether {@code e} waits for a lane's unsent batch; if so it counts against that lane's room. */
    private static boolean parkFor(Entry e, Map<Slot, Integer> room) {
        for (Map.Entry<Slot, Integer> r : room.entrySet()) {
            List<Entry> p = r.getKey().pending;
            if (r.getValue() > 0 && p != null && p.getFirst().batchesWith(e) && !e.recipientIn(p)) {
                r.setValue(r.getValue() - 1);
                return true;
            }
        }
        return false;
    }

    /** Takes the next waiting message (its rate permits taken already) and the companions that get permits. */
    private List<Entry> takeBatch() {
        List<Entry> batch = new ArrayList<>();
        batch.add(taken(waiting.pollFirst()));
        addCompanions(batch);
        return batch;
    }

    /**
     * Moves waiting messages that can share the batch's transaction into it, up to max_recipients_per_batch,
     * while max_message_rate allows. Companions arrive together, so only the first {@link #SCAN_LIMIT} waiting
     * messages are looked at: a long queue of unrelated mail costs no more than that.
     */
    private void addCompanions(List<Entry> batch) {
        Entry head = batch.getFirst();
        int max = head.message.plan().path().maxRecipientsPerBatch();
        int scanned = 0;
        for (Iterator<Entry> it = waiting.iterator(); batch.size() < max && it.hasNext() && scanned++ < SCAN_LIMIT; ) {
            Entry e = it.next();
            if (!head.batchesWith(e) || e.recipientIn(batch)) continue;
            if (acquire(messageGates()) != 0) break; // a shared check under way wakes the queue when decided
            it.remove();
            batch.add(taken(e));
        }
    }

    private Entry taken(Entry e) {
        dispatch.metrics.readyChanged(service, -1);
        return e;
    }

    /**
     * A lane is about to send the batch it was given (when it opened, or while idle): it takes along the
     * companions that arrived since, and its batch stops holding places in {@link #pump}.
     */
    @Override
    public synchronized List<Entry> startSending(Lane lane, List<Entry> batch) {
        Slot slot = lanes.get(lane);
        if (slot != null) slot.pending = null;
        List<Entry> out = new ArrayList<>(batch);
        if (!draining) addCompanions(out);
        return out;
    }

    /** Nothing waiting, no connection, nothing under way (guarded by the lock). */
    private boolean idleNow() {
        return !reaped && waiting.isEmpty() && lanes.isEmpty() && bankedLeases == null && !acquiringLeases
                && !backoffTimerArmed;
    }

    private void armReapTimer(long nanos) {
        if (reapTimerArmed) return;
        reapTimerArmed = true;
        dispatch.loops.next().schedule(this::reapIfIdle, nanos, TimeUnit.NANOSECONDS);
    }

    /** The reap timer: gone when idle for reapAfter since the last change, else looks again when that is due. */
    private void reapIfIdle() {
        synchronized (this) {
            reapTimerArmed = false;
            if (!idleNow()) return; // the next time it goes idle arms the timer again
            long left = lastActive + dispatch.settings.reapAfter().toNanos() - System.nanoTime();
            if (left > 0) {
                armReapTimer(left);
                return;
            }
            // its series and gates go before anyone can see it reaped: a new queue of the same name starts afresh
            dispatch.forget(this);
            reaped = true;
        }
        dispatch.reaped(this);
    }

    /** This queue's own rate gates (not the named ones other queues share), to drop when it is reaped. */
    synchronized List<Permits> ownGates() {
        List<Permits> own = new ArrayList<>();
        for (Permits p : messageGates) {
            if (p.name().equals("kumomta.max_message_rate." + name)) own.add(p);
        }
        own.addAll(connectionGates);
        return own;
    }

    private void armBackoffTimer(long nanos) {
        if (backoffTimerArmed) return;
        backoffTimerArmed = true;
        dispatch.loops.next().schedule(() -> {
            synchronized (this) {
                backoffTimerArmed = false;
            }
            pump();
        }, nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * What a lane does after a transaction: the next batch, wait idle, or quit. The current path's limits apply to
     * open lanes too: one over connection_limit quits.
     */
    @Override
    public synchronized Next nextFor(Lane lane, boolean usable, int deliveries, int maxDeliveries) {
        Slot slot = lanes.get(lane);
        if (slot == null || draining || !usable || deliveries >= maxDeliveries || dispatch.held.test(name) // suspended
                || activeLanes() > connectionLimit() || slot.leases.stream().anyMatch(Lease::lost)) {
            if (slot != null) slot.retiring = true;
            return Next.RETIRE;
        }
        if (!waiting.isEmpty()) {
            long wait = acquire(messageGates());
            if (wait == 0) return new Next.Send(takeBatch());
            retryAfter(wait); // the pump then hands the message to this lane once a permit is there
        }
        idle.addLast(lane);
        return Next.IDLE;
    }

    /** A lane's connection closed (or never opened): it no longer counts against the limit. */
    @Override
    public void laneGone(Lane lane) {
        List<ReadyQueue> wake;
        Slot slot;
        synchronized (this) {
            slot = lanes.remove(lane);
            wake = slot != null ? dispatch.shared.close(slot.sharedLimits) : List.of();
            idle.remove(lane);
            lastActive = System.nanoTime();
        }
        if (slot != null) slot.leases.forEach(Lease::release);
        pump();
        wakeOthers(wake);
    }

    /** Queues a named shared connection limit held back: one of its connections closed. */
    private void wakeOthers(List<ReadyQueue> queues) {
        for (ReadyQueue q : queues) {
            if (q != this) q.pump();
        }
    }

    /** Messages went back to the front, in their order: they never reached the server. */
    @Override
    public void requeueFront(Lane lane, List<Entry> batch) {
        boolean refused;
        synchronized (this) {
            Slot slot = lanes.get(lane);
            if (slot != null) slot.pending = null;
            refused = draining;
            if (!refused) {
                for (int i = batch.size() - 1; i >= 0; i--) waiting.addFirst(batch.get(i));
                dispatch.metrics.readyChanged(service, batch.size());
            }
        }
        if (refused) {
            batch.forEach(e -> dispatch.complete(this, e, Outcomes.shuttingDown()));
        }
        pump();
    }

    /**
     * Every destination of the plan failed: the lane's message fails with the summary, and so does every
     * waiting message when no other lane is left to carry them; no lane is opened during the back-off.
     */
    @Override
    public void connectFailed(Lane lane, List<Entry> batch, DeliveryResult result) {
        List<Entry> failed = new ArrayList<>(batch);
        List<ReadyQueue> wake;
        synchronized (this) {
            Slot slot = lanes.remove(lane);
            wake = slot != null ? dispatch.shared.close(slot.sharedLimits) : List.of();
            if (slot != null) slot.leases.forEach(Lease::release);
            lastActive = System.nanoTime();
            backoffUntil = System.nanoTime() + dispatch.settings.connectFailureBackoff().toNanos();
            if (lanes.isEmpty()) {
                while (!waiting.isEmpty()) failed.add(taken(waiting.pollFirst()));
            }
        }
        DeliveryOutcome outcome = new DeliveryOutcome(result, null, null, null);
        failed.forEach(e -> dispatch.complete(this, e, outcome));
        pump();
        wakeOthers(wake);
    }

    /** Removes and returns the waiting messages that match (none of them reached a connection). */
    synchronized List<Entry> withdraw(java.util.function.Predicate<ReadyMessage> which) {
        List<Entry> out = new ArrayList<>();
        for (Iterator<Entry> it = waiting.iterator(); it.hasNext(); ) {
            Entry e = it.next();
            if (which.test(e.message)) {
                it.remove();
                out.add(e);
            }
        }
        if (!out.isEmpty()) {
            dispatch.metrics.readyChanged(service, -out.size());
            lastActive = System.nanoTime();
            if (idleNow()) armReapTimer(dispatch.settings.reapAfter().toNanos());
        }
        return out;
    }

    @Override
    public synchronized boolean draining() {
        return draining;
    }

    @Override
    public int maxDeliveriesPerConnection() {
        return latest.plan().path().maxDeliveriesPerConnection();
    }

    @Override
    public SessionOpener opener() {
        return dispatch.opener;
    }

    @Override
    public void complete(Entry e, DeliveryOutcome outcome) {
        dispatch.complete(this, e, outcome);
    }

    @Override
    public void connectionOpened() {
        dispatch.metrics.connectionOpened(service, proxy);
    }

    @Override
    public void connectionClosed() {
        dispatch.metrics.connectionClosed(service, proxy);
    }

    /** Stops opening lanes, fails the waiting messages as "shutting down", lets idle lanes quit. */
    void startDrain() {
        List<Entry> failed = new ArrayList<>();
        List<Lane> quit;
        synchronized (this) {
            draining = true;
            while (!waiting.isEmpty()) failed.add(taken(waiting.pollFirst()));
            if (bankedLeases != null) {
                bankedLeases.forEach(Lease::release);
                bankedLeases = null;
            }
            quit = new ArrayList<>(idle);
            idle.clear();
        }
        failed.forEach(e -> dispatch.complete(this, e, Outcomes.shuttingDown()));
        quit.forEach(Lane::quit);
    }

    /** Closes every connection now (transactions in flight end as the SMTP client reports a lost connection). */
    void forceClose() {
        List<Lane> all;
        synchronized (this) {
            all = new ArrayList<>(lanes.keySet());
        }
        all.forEach(Lane::close);
    }

    synchronized int laneCount() {
        return lanes.size();
    }

    synchronized int waitingCount() {
        return waiting.size();
    }
}
