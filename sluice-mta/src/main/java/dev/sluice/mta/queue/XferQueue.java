package dev.sluice.mta.queue;

import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.Scheduling;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * KumoMTA's message transfer queues: a message the operator moves to another node waits in the scheduled queue
 * {@code <target URL>/.xfer.kumomta.internal} (KumoMTA's name, e.g. {@code http://10.0.0.2:8000/.xfer.kumomta.internal})
 * until that node's {@code POST /api/xfer/inject/v1} accepts it; only then does it leave this spool. Its queue,
 * tenant, campaign, routing domain, scheduling, attempts and due time are kept in the meta
 * {@code xfer_queue_info} meanwhile (KumoMTA's SavedQueueInfo), restored by the node that receives it (or by
 * {@code xfer-cancel} here).
 */
public final class XferQueue {
    public static final String SUFFIX = ".xfer.kumomta.internal";
    public static final String META_INFO = "xfer_queue_info";

    private XferQueue() {}

    /** Sends one message to a transfer target; completes with the id the target gave it, or fails (retried). */
    @FunctionalInterface
    public interface Sender {
        CompletableFuture<String> send(Message message, URI target);
    }

    public static boolean isXferQueue(String queueName) {
        return queueName.endsWith(SUFFIX);
    }

    /** The transfer queue of {@code target} ({@code http(s)://host:port}, normalized with a trailing slash). */
    public static String queueName(URI target) {
        return normalize(target) + SUFFIX;
    }

    /** The target of a transfer queue name, if it is one. */
    public static Optional<URI> target(String queueName) {
        if (!isXferQueue(queueName)) {
            return Optional.empty();
        }
        try {
            return Optional.of(normalize(URI.create(queueName.substring(0, queueName.length() - SUFFIX.length()))));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** {@code http(s)://host[:port]/}: what the queue name and the request URL are built from. */
    public static URI normalize(URI target) {
        String scheme = target.getScheme() == null ? "" : target.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || target.getHost() == null) {
            throw new IllegalArgumentException("target: '" + target + "' is not an http:// or https:// URL");
        }
        return URI.create(scheme + "://" + target.getRawAuthority() + "/");
    }

    /** Moves {@code m} into the transfer queue of {@code target}, saving what its own queue needs afterwards. */
    public static void save(Message m, URI target) {
        Map<String, Object> info = new LinkedHashMap<>();
        for (String key : new String[] {"queue", "routing_domain", "tenant", "campaign"}) {
            if (m.meta(key) != null) {
                info.put(key, m.meta(key));
            }
            m.setMeta(key, null);
        }
        if (m.meta(Scheduling.META_KEY) != null) {
            info.put("schedule", m.meta(Scheduling.META_KEY));
        }
        info.put("num_attempts", m.meta(ScheduledQueues.META_ATTEMPTS) instanceof Number n ? n.longValue() : 0L);
        if (m.meta(ScheduledQueues.META_DUE) != null) {
            info.put("due", m.meta(ScheduledQueues.META_DUE));
        }
        m.setMeta(Scheduling.META_KEY, null);
        m.setMeta(ScheduledQueues.META_ATTEMPTS, 0L); // the transfer queue counts its own attempts
        m.setMeta(ScheduledQueues.META_DUE, null);
        m.setMeta(META_INFO, info);
        m.setMeta("queue", queueName(target));
    }

    /**
     * Puts back what {@link #save} kept (on the receiving node, or here when the transfer is cancelled): the
     * message's queue, routing, scheduling, attempts and due time. A message without the saved info is unchanged.
     */
    public static void restore(Message m) {
        if (!(m.meta(META_INFO) instanceof Map<?, ?> info)) {
            return;
        }
        for (String key : new String[] {"queue", "routing_domain", "tenant", "campaign"}) {
            m.setMeta(key, info.get(key));
        }
        m.setMeta(Scheduling.META_KEY, info.get("schedule"));
        Object attempts = info.get("num_attempts");
        m.setMeta(ScheduledQueues.META_ATTEMPTS, attempts instanceof Number n ? n.longValue() : 0L);
        m.setMeta(ScheduledQueues.META_DUE, info.get("due"));
        m.setMeta(META_INFO, null);
    }
}
