package dev.sluice.mta.dispatch;

import dev.sluice.egress.connect.ConnectFailure;
import dev.sluice.egress.connect.FailureSummary;
import dev.sluice.mta.queue.DeliveryOutcome;
import dev.sluice.mta.queue.ReadyMessage;
import dev.sluice.policy.egress.TokenBucket;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The messages of one (egress source, site) waiting for a connection, and the connections ({@link Lane}s)
 * that carry them: FIFO, at most max_ready waiting, at most the path's connection_limit lanes (connecting,
 * busy, idle or quitting). A lane is opened for a waiting message when no idle lane can take it; after a
 * whole plan failed to connect no lane is opened for the back-off. State is guarded by this object's lock;
 * outcomes are reported outside it.
 */
final class ReadyQueue {
    final String name;
    final String service;
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
        this.dispatch = dispatch;
        this.latest = first;
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

    /** Hands waiting messages to idle lanes, then opens lanes for the rest, up to the limit. */
    void pump() {
        List<Runnable> actions = new ArrayList<>();
        synchronized (this) {
            while (!draining && !waiting.isEmpty()) {
                long messageWait = peek(messageRate());
                if (messageWait > 0) { // max_message_rate: wait for the next token
                    armBackoffTimer(messageWait);
                    break;
                }
                Lane free = idle.pollFirst();
                if (free != null) {
                    Entry e = take();
                    actions.add(() -> free.offer(e));
                    continue;
                }
                if (lanes.size() >= connectionLimit()) break;
                long wait = Math.max(backoffUntil - System.nanoTime(), peek(connectionRate()));
                if (wait > 0) { // after a failed plan, or max_connection_rate
                    armBackoffTimer(wait);
                    break;
                }
                if (connectionRate != null) {
                    connectionRate.take(System.nanoTime());
                }
                Lane lane = new Lane(this, take());
                lanes.add(lane);
                // on a loop, not here: a lane that fails at once would pump again, recursing per message
                actions.add(() -> dispatch.loops.next().execute(lane::start));
            }
        }
        actions.forEach(Runnable::run);
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

    /** Takes the next waiting message; it goes out now, so it takes a max_message_rate token too. */
    private Entry take() {
        if (messageRate != null) {
            messageRate.take(System.nanoTime());
        }
        dispatch.metrics.readyChanged(service, -1);
        return waiting.pollFirst();
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

    /** What a lane does after a transaction: the next message, or null when it went idle or must quit. */
    synchronized Entry nextFor(Lane lane, boolean usable, int deliveries, int maxDeliveries) {
        if (draining || !usable || deliveries >= maxDeliveries) {
            lane.retiring = true;
            return null;
        }
        if (!waiting.isEmpty()) {
            long wait = peek(messageRate());
            if (wait == 0) return take();
            armBackoffTimer(wait); // the timer's pump hands the message to this lane once a token is there
        }
        idle.addLast(lane);
        return null;
    }

    /** A lane's connection closed (or never opened): it no longer counts against the limit. */
    void laneGone(Lane lane) {
        synchronized (this) {
            lanes.remove(lane);
            idle.remove(lane);
        }
        pump();
    }

    /** A message went back to the front: it never reached the server. */
    void requeueFront(Entry e) {
        synchronized (this) {
            if (!draining) {
                waiting.addFirst(e);
                dispatch.metrics.readyChanged(service, 1);
                e = null;
            }
        }
        if (e != null) {
            dispatch.complete(this, e, Outcomes.shuttingDown());
        }
        pump();
    }

    /**
     * Every destination of the plan failed: the lane's message fails with the summary, and so does every
     * waiting message when no other lane is left to carry them; no lane is opened during the back-off.
     */
    void connectFailed(Lane lane, Entry first, List<ConnectFailure> failures) {
        List<Entry> failed = new ArrayList<>();
        failed.add(first);
        synchronized (this) {
            lanes.remove(lane);
            backoffUntil = System.nanoTime() + dispatch.settings.connectFailureBackoff().toNanos();
            if (lanes.isEmpty()) {
                while (!waiting.isEmpty()) failed.add(take());
            }
        }
        DeliveryOutcome outcome = Outcomes.transientFailure(400, null, FailureSummary.summarize(failures));
        failed.forEach(e -> dispatch.complete(this, e, outcome));
        pump();
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
            while (!waiting.isEmpty()) failed.add(take());
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
