package dev.sluice.mta.dispatch;

import dev.sluice.egress.smtp.DeliveryResult;
import dev.sluice.egress.smtp.SmtpResponse;
import dev.sluice.mta.policy.LuaMessage;
import dev.sluice.mta.queue.DeliveryOutcome;
import dev.sluice.mta.queue.Dispatch;
import dev.sluice.mta.queue.QueueName;
import dev.sluice.mta.queue.ReadyMessage;
import dev.sluice.policy.KumoApi;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.PolicyRejection;
import dev.sluice.policy.egress.QueueProtocol;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the ready messages of {@code custom_lua} queues through the policy: for each message one policy call
 * ({@link KumoApi#CUSTOM_LUA_DELIVER}) runs the constructor event with the queue's (domain, tenant, campaign),
 * then the connection's {@code send(message)}. What it returns is the Delivery's response text (code 200);
 * {@code kumo.reject(4xx, text)} is a transient failure and {@code kumo.reject(5xx, text)} a permanent one, both
 * with that code and text; any other error is a transient failure naming the error. The calls run on the
 * policy's own threads ({@link Policy#callAsync}), at most {@code concurrency} at a time, so deliveries never
 * take every Lua state from reception; the rest wait here in order.
 */
public final class LuaDispatch implements Dispatch {
    private static final Logger LOG = LoggerFactory.getLogger(LuaDispatch.class);

    private final Policy policy;
    private final Listener listener;
    private final int concurrency;
    private final Set<Entry> outstanding = ConcurrentHashMap.newKeySet();
    private final Object lock = new Object();
    // guarded by lock
    private final ArrayDeque<Entry> waiting = new ArrayDeque<>();
    private int running;
    private volatile boolean draining;

    /**
     * @param concurrency how many deliveries may run in Lua at once
     * @param listener    receives every submitted message's outcome once, on a Lua runner or the submitting thread
     */
    public LuaDispatch(Policy policy, Listener listener, int concurrency) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.listener = Objects.requireNonNull(listener, "listener");
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1: " + concurrency);
        }
        this.concurrency = concurrency;
    }

    /** One less than the policy's Lua states (at least one): a state stays free for reception events. */
    public static int defaultConcurrency(Policy policy) {
        return Math.max(1, policy.poolSize() - 1);
    }

    @Override
    public void submit(ReadyMessage message) {
        if (!(message.protocol() instanceof QueueProtocol.CustomLua)) {
            throw new IllegalArgumentException("not a custom_lua message: " + message.readyQueueName());
        }
        Entry e = new Entry(message);
        outstanding.add(e);
        if (draining) {
            complete(e, Outcomes.shuttingDown());
            return;
        }
        synchronized (lock) {
            if (running >= concurrency) {
                waiting.add(e);
                return;
            }
            running++;
        }
        start(e);
    }

    private void start(Entry e) {
        ReadyMessage m = e.message;
        QueueProtocol.CustomLua lua = (QueueProtocol.CustomLua) m.protocol();
        QueueName q = QueueName.parse(m.queueName());
        policy.callAsync(KumoApi.CUSTOM_LUA_DELIVER, lua.constructor(), lua.batched(), q.domain(), q.tenant(),
                        q.campaign(), new LuaMessage(m.message()))
                .whenComplete((disposition, error) -> {
                    try {
                        complete(e, error == null ? delivered(disposition) : failed(lua, m, error));
                    } finally {
                        next();
                    }
                });
    }

    /** A running delivery ended: start the next waiting one, if any. */
    private void next() {
        Entry e;
        synchronized (lock) {
            e = draining ? null : waiting.poll();
            if (e == null) {
                running--;
                return;
            }
        }
        start(e);
    }

    private static DeliveryOutcome delivered(Object disposition) {
        return new DeliveryOutcome(new DeliveryResult.Delivered(
                new SmtpResponse(200, null, disposition == null ? "" : disposition.toString(), null)), null, null, null);
    }

    private static DeliveryOutcome failed(QueueProtocol.CustomLua lua, ReadyMessage m, Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof PolicyRejection r) {
            SmtpResponse response = new SmtpResponse(r.code(), null, r.text(), null);
            return new DeliveryOutcome(r.temporary() ? new DeliveryResult.Transient(response)
                    : new DeliveryResult.Permanent(response), null, null, null);
        }
        String text = cause instanceof PolicyException ? cause.getMessage() : String.valueOf(cause);
        LOG.debug("custom_lua {} failed for {}: {}", lua.constructor(), m.message().id(), text);
        return new DeliveryOutcome(new DeliveryResult.Transient(new SmtpResponse(400, null,
                "custom_lua " + lua.constructor() + " failed: " + text, null)), null, null, null);
    }

    private void complete(Entry e, DeliveryOutcome outcome) {
        if (!e.claim()) return;
        outstanding.remove(e);
        try {
            listener.completed(e.message, outcome);
        } catch (RuntimeException ex) {
            LOG.error("dispatch listener failed for {}", e.message.message().id(), ex);
        }
    }

    @Override
    public int inFlight() {
        return outstanding.size();
    }

    /** Waiting messages go back at once (they stay in the spool); running calls may finish within {@code timeout}. */
    @Override
    public void drain(Duration timeout) {
        draining = true;
        List<Entry> queued;
        synchronized (lock) {
            queued = new ArrayList<>(waiting);
            waiting.clear();
        }
        queued.forEach(e -> complete(e, Outcomes.shuttingDown()));
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        while (!outstanding.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        new ArrayList<>(outstanding).forEach(e -> complete(e, Outcomes.shuttingDown()));
    }

    @Override
    public void close() {
        drain(Duration.ZERO);
    }
}
