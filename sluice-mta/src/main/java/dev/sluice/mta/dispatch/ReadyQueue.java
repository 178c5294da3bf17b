package dev.sluice.mta.dispatch;

import dev.sluice.egress.connect.ConnectFailure;
import dev.sluice.egress.connect.FailureSummary;
import dev.sluice.mta.queue.DeliveryOutcome;
import dev.sluice.mta.queue.ReadyMessage;
import dev.sluice.policy.egress.TokenBucket;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The messages of one (egress source, site) waiting for a connection, and the connections ({@link Lane}s)
 * that carry them: FIFO, at most max_ready waiting, at most the path's connection_limit lanes (connecting,
 * busy, idle or quitting). A lane sends batches: the next message together with the waiting recipients of the
 * same reception ({@link Entry#batchesWith}), up to max_recipients_per_batch RCPT TOs in one transaction. A
 * lane is opened for a waiting message when no idle lane can take it; after a whole plan failed to connect no
 * lane is opened for the back-off. State is guarded by this object's lock;
 * outcomes are reported outside it.
 */
final class ReadyQueue {
    /** How far into the waiting messages a batch looks for companions. */
    private static final int SCAN_LIMIT = 256;

    final String name;
    final String service;
    /** The forward proxy's metric labels, null for a direct source (a ready queue has one source). */
    final String[] proxy;
    final SmtpDispatch dispatch;

    private final ArrayDeque<Entry> waiting = new ArrayDeque<>();
    private final ArrayDeque<Lane> idle = new ArrayDeque<>();
    private final Set<Lane> lanes = new LinkedHashSet<>();
    private volatile ReadyMessage latest;
    private boolean draining;
    private long backoffUntil;
    private boolean backoffTimerArmed;
    // the path's max_connection_rate and max_message_rate, made when first needed (null = unlimited)
    private TokenBucket connectionRate;
    private TokenBucket messageRate;

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

    void submit(Entry e) {
        DeliveryOutcome refused = null;
        synchronized (this) {
            latest = e.message;
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
            return;
        }
        pump();
    }

    /**
     * Hands waiting messages to idle lanes, then opens lanes for the rest, up to the limit. A message that can
     * join the batch of a lane which has not sent it yet stays waiting for that lane ({@link #startSending}),
     * so the recipients of one reception arriving a moment apart do not each open a connection.
     */
    void pump() {
        List<Runnable> actions = new ArrayList<>();
        synchronized (this) {
            ArrayDeque<Entry> parked = new ArrayDeque<>();
            Map<Lane, Integer> room = pendingRoom();
            boolean suspended = dispatch.held.test(name); // by the operator: nothing goes out until released
            while (!draining && !suspended && !waiting.isEmpty()) {
                if (parkFor(waiting.peekFirst(), room)) {
                    parked.addLast(waiting.pollFirst());
                    continue;
                }
                long messageWait = messageWait();
                if (messageWait > 0) { // max_message_rate (and named shared rates): wait for the next token
                    armBackoffTimer(messageWait);
                    break;
                }
                Lane free = idle.pollFirst();
                if (free != null) {
                    List<Entry> batch = takeBatch();
                    free.pending = batch;
                    room.put(free, roomOf(batch));
                    actions.add(() -> free.offer(batch));
                    continue;
                }
                if (lanes.size() >= connectionLimit()) break;
                long wait = Math.max(backoffUntil - System.nanoTime(), peek(connectionRate()));
                if (wait > 0) { // after a failed plan, or max_connection_rate
                    armBackoffTimer(wait);
                    break;
                }
                // named shared limits (a provider's connections across its sites): woken when one closes
                List<String> shared = dispatch.shared.tryOpen(latest.plan().path().additionalConnectionLimits(), this);
                if (shared == null) break;
                if (connectionRate != null) {
                    connectionRate.take(System.nanoTime());
                }
                Lane lane = new Lane(this, takeBatch());
                lane.sharedLimits = shared;
                lanes.add(lane);
                room.put(lane, roomOf(lane.pending));
                // on a loop, not here: a lane that fails at once would pump again, recursing per message
                actions.add(() -> dispatch.loops.next().execute(lane::start));
            }
            while (!parked.isEmpty()) waiting.addFirst(parked.pollLast());
        }
        actions.forEach(Runnable::run);
    }

    /** Lanes holding a batch they have not sent yet, with the recipients each can still take. */
    private Map<Lane, Integer> pendingRoom() {
        Map<Lane, Integer> room = new HashMap<>();
        for (Lane l : lanes) {
            List<Entry> p = l.pending;
            if (p != null) room.put(l, roomOf(p));
        }
        return room;
    }

    private static int roomOf(List<Entry> batch) {
        return batch.getFirst().message.plan().path().maxRecipientsPerBatch() - batch.size();
    }

    /** Whether {@code e} waits for a lane's unsent batch; if so it counts against that lane's room. */
    private static boolean parkFor(Entry e, Map<Lane, Integer> room) {
        for (Map.Entry<Lane, Integer> r : room.entrySet()) {
            List<Entry> p = r.getKey().pending;
            if (r.getValue() > 0 && p != null && p.getFirst().batchesWith(e) && !e.recipientIn(p)) {
                r.setValue(r.getValue() - 1);
                return true;
            }
        }
        return false;
    }

    /** 0 when max_message_rate and the path's named shared rates allow one more message now, else nanoseconds to wait. */
    private long messageWait() {
        long now = System.nanoTime();
        return Math.max(peek(messageRate()), dispatch.shared.peekMessage(latest.plan().path().additionalMessageRates(), now));
    }

    /** 0 when the rate allows one more now, else nanoseconds to wait; takes nothing. */
    private static long peek(TokenBucket bucket) {
        return bucket == null ? 0 : bucket.peek(System.nanoTime());
    }

    private TokenBucket messageRate() {
        if (messageRate == null) {
            messageRate = latest.plan().path().maxMessageRate().map(r -> new TokenBucket(r, System.nanoTime())).orElse(null);
        }
        return messageRate;
    }

    private TokenBucket connectionRate() {
        if (connectionRate == null) {
            connectionRate = latest.plan().path().maxConnectionRate()
                    .map(r -> new TokenBucket(r, System.nanoTime())).orElse(null);
        }
        return connectionRate;
    }

    /** Takes the next waiting message and its companions; they go out now, so each takes a max_message_rate token. */
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
            if (messageWait() > 0) break;
            it.remove();
            batch.add(taken(e));
        }
    }

    private Entry taken(Entry e) {
        if (messageRate != null) {
            messageRate.take(System.nanoTime());
        }
        dispatch.shared.takeMessage(e.message.plan().path().additionalMessageRates(), System.nanoTime());
        dispatch.metrics.readyChanged(service, -1);
        return e;
    }

    /**
     * A lane is about to send the batch it was given (when it opened, or while idle): it takes along the
     * companions that arrived since, and its batch stops holding places in {@link #pump}.
     */
    synchronized List<Entry> startSending(Lane lane, List<Entry> batch) {
        lane.pending = null;
        List<Entry> out = new ArrayList<>(batch);
        if (!draining) addCompanions(out);
        return out;
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

    /** What a lane does after a transaction: the next batch, or null when it went idle or must quit. */
    synchronized List<Entry> nextFor(Lane lane, boolean usable, int deliveries, int maxDeliveries) {
        if (draining || !usable || deliveries >= maxDeliveries || dispatch.held.test(name)) { // suspended: close
            lane.retiring = true;
            return null;
        }
        if (!waiting.isEmpty()) {
            long wait = messageWait();
            if (wait == 0) return takeBatch();
            armBackoffTimer(wait); // the timer's pump hands the message to this lane once a token is there
        }
        idle.addLast(lane);
        return null;
    }

    /** A lane's connection closed (or never opened): it no longer counts against the limit. */
    void laneGone(Lane lane) {
        List<ReadyQueue> wake;
        synchronized (this) {
            wake = lanes.remove(lane) ? dispatch.shared.close(lane.sharedLimits) : List.of();
            idle.remove(lane);
        }
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
    void requeueFront(Lane lane, List<Entry> batch) {
        boolean refused;
        synchronized (this) {
            lane.pending = null;
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
    void connectFailed(Lane lane, List<Entry> batch, List<ConnectFailure> failures) {
        List<Entry> failed = new ArrayList<>(batch);
        List<ReadyQueue> wake;
        synchronized (this) {
            lane.pending = null;
            wake = lanes.remove(lane) ? dispatch.shared.close(lane.sharedLimits) : List.of();
            backoffUntil = System.nanoTime() + dispatch.settings.connectFailureBackoff().toNanos();
            if (lanes.isEmpty()) {
                while (!waiting.isEmpty()) failed.add(taken(waiting.pollFirst()));
            }
        }
        DeliveryOutcome outcome = Outcomes.transientFailure(400, null, FailureSummary.summarize(failures));
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
        }
        return out;
    }

    synchronized boolean isDraining() {
        return draining;
    }

    /** Stops opening lanes, fails the waiting messages as "shutting down", lets idle lanes quit. */
    void startDrain() {
        List<Entry> failed = new ArrayList<>();
        List<Lane> quit;
        synchronized (this) {
            draining = true;
            while (!waiting.isEmpty()) failed.add(taken(waiting.pollFirst()));
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
            all = new ArrayList<>(lanes);
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
