package dev.sluice.mta.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.mta.ingress.http.JsonOnly;
import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
import dev.sluice.mta.queue.QueueName;
import dev.sluice.mta.queue.ScheduledQueues;
import dev.sluice.mta.queue.XferQueue;
import dev.sluice.mta.spool.Spool;
import dev.sluice.net.http.HttpRequest;
import dev.sluice.net.http.HttpResponse;
import dev.sluice.net.http.HttpServer;
import dev.sluice.policy.ConfigException;
import dev.sluice.policy.ConfigSchema;
import dev.sluice.policy.ConfigTable;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * KumoMTA's message transfer between nodes, with its paths and bodies (admin routes for trusted hosts or accepted
 * HTTP Basic credentials, like the others):
 * <ul>
 *   <li>{@code POST /api/admin/xfer/v1 {"target", "reason", domain / campaign / tenant / routing_domain /
 *       queue_names}} → {@code {}}: the matching queued messages move (in the background, as in KumoMTA) into the
 *       transfer queue {@code <target>/.xfer.kumomta.internal} with an AdminRebind record each
 *       ({@link XferQueue}); from there each is sent to the target, and leaves this spool only once the target
 *       answered with its new id;</li>
 *   <li>{@code POST /api/admin/xfer/cancel/v1 {"queue_name", "reason"}} → {@code {}}: the messages waiting in that
 *       transfer queue go back to their own queues, with their scheduling;</li>
 *   <li>{@code POST /api/xfer/inject/v1}: the receiving end, KumoMTA's wire format: gzip of one line of JSON
 *       ({@code id}, {@code sender}, {@code recipient} list, {@code meta}), a newline, then the message data;
 *       answers {@code {"id"}} once the message is in the spool. Content-Type {@code application/octet-stream}
 *       (a web page cannot send that cross-site without asking). Before it is stored, the policy's
 *       {@code xfer_message_received(msg, auth_info)} runs on each message, its queue info restored (KumoMTA's
 *       AuthInfo: the peer address and the HTTP Basic identity, if any); an error in it answers 500, so that the
 *       sender keeps the message and tries again.</li>
 * </ul>
 */
public final class XferRoutes {
    public static final String XFER = "/api/admin/xfer/v1";
    public static final String CANCEL = "/api/admin/xfer/cancel/v1";
    public static final String INJECT = "/api/xfer/inject/v1";
    /** KumoMTA's event on the receiving node, for each transferred message. */
    public static final String EVENT = "xfer_message_received";
    private static final Logger LOG = LoggerFactory.getLogger(XferRoutes.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ConfigSchema XFER_SCHEMA = ConfigSchema.of("xfer", Set.of("target", "reason", "campaign",
            "tenant", "domain", "routing_domain", "queue_names"), Set.of());
    private static final ConfigSchema CANCEL_SCHEMA = ConfigSchema.of("xfer cancel", Set.of("queue_name", "reason"),
            Set.of());
    /** Meta keys Sluice keeps for itself: not sent to the other node. */
    private static final Set<String> LOCAL_META = Set.of(ScheduledQueues.META_ATTEMPTS, ScheduledQueues.META_DUE);
    private static final ExecutorService WORK = Executors.newVirtualThreadPerTaskExecutor();

    private XferRoutes() {}

    /**
     * Installs the three routes ({@link ScheduledQueues#xferSender} with {@link #sender} sends the transfers).
     *
     * @param node this node's id: sent as {@code xfer_prior_node}, and a transfer from it to itself is refused
     */
    public static void install(HttpServer server, ScheduledQueues queues, Spool spool, UUID node,
                               dev.sluice.policy.PolicyCalls policy) {
        server.route("POST", XFER, HttpServer.Access.TRUSTED, new JsonOnly(AdminRoutes.offLoop(request -> {
            ConfigTable t = ConfigTable.of(XFER_SCHEMA, object(request));
            String reason = required(t, "reason", "xfer");
            URI target;
            try {
                target = XferQueue.normalize(URI.create(required(t, "target", "xfer")));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("xfer: " + e.getMessage());
            }
            AdminCriteria criteria = new AdminCriteria(t.string("campaign", null), t.string("tenant", null),
                    t.string("domain", null), t.string("routing_domain", null), t.stringList("queue_names", List.of()));
            WORK.execute(() -> { // as KumoMTA: the answer comes at once, the move runs on
                int n = queues.rebind(q -> criteria.matches(q) && !XferQueue.isXferQueue(q.name()),
                        m -> XferQueue.save(m, target), true, reason, false);
                LOG.info("xfer to {}: {} message(s) moved to {}", target, n, XferQueue.queueName(target));
            });
            return HttpResponse.json(200, "{}");
        })));
        server.route("POST", CANCEL, HttpServer.Access.TRUSTED, new JsonOnly(AdminRoutes.offLoop(request -> {
            ConfigTable t = ConfigTable.of(CANCEL_SCHEMA, object(request));
            String reason = required(t, "reason", "xfer cancel");
            String queue = required(t, "queue_name", "xfer cancel");
            if (!XferQueue.isXferQueue(queue)) {
                throw new ConfigException("xfer cancel: '" + queue + "' is not a transfer queue (its name ends in "
                        + XferQueue.SUFFIX + ")");
            }
            WORK.execute(() -> {
                int n = queues.rebind(q -> q.name().equals(queue), XferQueue::restore, true, reason, false);
                LOG.info("xfer cancel of {}: {} message(s) back in their queues", queue, n);
            });
            return HttpResponse.json(200, "{}");
        })));
        server.route("POST", INJECT, HttpServer.Access.TRUSTED, AdminRoutes.offLoop(request ->
                receive(request, queues, spool, node, policy)));
    }

    /** The receiving end: parse, refuse a loop, store, then queue with the saved info restored. */
    private static HttpResponse receive(HttpRequest request, ScheduledQueues queues, Spool spool, UUID node,
                                        dev.sluice.policy.PolicyCalls policy) throws Exception {
        String type = request.header("content-type");
        if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/octet-stream")) {
            return HttpResponse.text(415, "Content-Type must be application/octet-stream, got "
                    + (type == null ? "none" : "'" + type + "'") + "\n");
        }
        byte[] body = request.body();
        if ("gzip".equalsIgnoreCase(String.valueOf(request.header("content-encoding")).strip())) {
            try (var in = new GZIPInputStream(new ByteArrayInputStream(body))) {
                body = in.readAllBytes();
            }
        }
        int nl = 0;
        while (nl < body.length && body[nl] != '\n') {
            nl++;
        }
        if (nl == body.length) {
            throw new AdminRoutes.BadBody("xfer inject: no newline after the JSON line");
        }
        Map<?, ?> head;
        try {
            head = JSON.readValue(body, 0, nl, Map.class);
        } catch (IOException e) {
            throw new AdminRoutes.BadBody("xfer inject: the first line is not a JSON object");
        }
        byte[] data = java.util.Arrays.copyOfRange(body, nl + 1, body.length);
        if (!(head.get("sender") instanceof String sender) || !(head.get("meta") instanceof Map<?, ?> rawMeta)) {
            throw new AdminRoutes.BadBody("xfer inject: 'sender' and 'meta' are required");
        }
        List<String> recipients = new ArrayList<>();
        if (head.get("recipient") instanceof List<?> list) {
            list.forEach(r -> recipients.add(String.valueOf(r)));
        } else if (head.get("recipient") instanceof String r) {
            recipients.add(r);
        }
        if (recipients.isEmpty()) {
            throw new AdminRoutes.BadBody("xfer inject: 'recipient' is required");
        }
        Map<String, Object> meta = new LinkedHashMap<>();
        rawMeta.forEach((k, v) -> meta.put(String.valueOf(k), v));
        if (node.toString().equals(String.valueOf(meta.get("xfer_prior_node")))) {
            return HttpResponse.text(400, "cannot xfer to myself: xfer_prior_node=" + node + " is my node id\n");
        }
        meta.put("xfer_from", request.peer().getAddress().getHostAddress() + ":" + request.peer().getPort());
        // KumoMTA's xfer_auth: who sent it, as http_auth says for an inject (the Basic user, else the address)
        meta.put("xfer_auth", request.user() != null ? request.user() : request.peer().getAddress().getHostAddress());
        Instant created = created(head.get("id"));
        List<Message> messages = new ArrayList<>();
        for (String r : recipients) {
            Message m = new Message(MessageId.next(created), sender, r, meta, data);
            XferQueue.restore(m);
            messages.add(m);
        }
        if (policy.hasHandler(EVENT)) {
            for (Message m : messages) {
                try {
                    policy.call(EVENT, new dev.sluice.mta.policy.LuaMessage(m), authInfo(request));
                } catch (dev.sluice.policy.PolicyException e) {
                    LOG.warn("xfer inject from {}: {} failed, the sender keeps the message: {}", meta.get("xfer_from"),
                            EVENT, e.getMessage());
                    return HttpResponse.text(500, EVENT + " failed: " + e.getMessage() + "\n");
                }
            }
        }
        spool.store(messages).join(); // the answer (and so the sender's removal) only once it is on disk here
        for (Message m : messages) {
            queues.xferIn(m, meta.get("xfer_from").toString());
        }
        return HttpResponse.json(200, JSON.writeValueAsString(Map.of("id", messages.get(0).id().toString())));
    }

    /**
     * KumoMTA's AuthInfo of the sending node: its address, and the identity its HTTP Basic credentials were accepted
     * for (none when it came from a trusted host without credentials).
     */
    private static Map<String, Object> authInfo(HttpRequest request) {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("peer_address", request.peer().getAddress().getHostAddress());
        info.put("identities", request.user() == null ? List.of()
                : List.of(Map.of("identity", request.user(), "context", "HttpBasicAuth")));
        info.put("groups", List.of());
        return info;
    }

    /** The first node's reception time when its id is Sluice's (time-ordered), so max_age runs on; else now. */
    private static Instant created(Object id) {
        Instant now = Instant.now();
        if (id instanceof String text) {
            try {
                long micros = MessageId.parse(text).micros();
                Instant t = Instant.ofEpochSecond(micros / 1_000_000L, (micros % 1_000_000L) * 1_000L);
                if (t.isAfter(now.minus(Duration.ofDays(365))) && !t.isAfter(now)) {
                    return t;
                }
            } catch (RuntimeException e) {
                // a KumoMTA id (a UUID): its time is not ours to read; the message counts from now
            }
        }
        return now;
    }

    /** Sends one message to {@code target}'s inject route: KumoMTA's wire format, gzipped. */
    public static XferQueue.Sender sender(Spool spool, UUID node) {
        java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(10)).build();
        return (m, target) -> CompletableFuture.supplyAsync(() -> {
            try {
                return wire(m, spool.readData(m.id()), node);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, WORK).thenCompose(body -> client.sendAsync(java.net.http.HttpRequest.newBuilder(
                        target.resolve(INJECT.substring(1))).timeout(Duration.ofSeconds(60))
                        .header("Content-Type", "application/octet-stream").header("Content-Encoding", "gzip")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString())).thenApply(r -> {
                    if (r.statusCode() != 200) {
                        throw new IllegalStateException("the target answered " + r.statusCode() + ": "
                                + r.body().strip());
                    }
                    try {
                        Object id = JSON.readValue(r.body(), Map.class).get("id");
                        if (id == null) {
                            throw new IllegalStateException("the target's answer has no id: " + r.body().strip());
                        }
                        return id.toString();
                    } catch (IOException e) {
                        throw new IllegalStateException("the target's answer is not JSON: " + r.body().strip());
                    }
                });
    }

    static byte[] wire(Message m, byte[] data, UUID node) throws IOException {
        Map<String, Object> meta = new LinkedHashMap<>();
        m.metaMap().forEach((k, v) -> {
            if (!LOCAL_META.contains(k)) {
                meta.put(k, v);
            }
        });
        meta.put("xfer_prior_id", m.id().toString());
        meta.put("xfer_prior_node", node.toString());
        Map<String, Object> head = new LinkedHashMap<>();
        head.put("id", m.id().toString());
        head.put("sender", m.sender());
        head.put("recipient", List.of(m.recipient()));
        head.put("meta", meta);
        ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 2 + 512);
        try (var gz = new GZIPOutputStream(out)) {
            gz.write(JSON.writeValueAsBytes(head));
            gz.write('\n');
            gz.write(data);
        }
        return out.toByteArray();
    }

    private static Map<String, Object> object(HttpRequest request) {
        Object body;
        try {
            body = JSON.readValue(request.body(), Object.class);
        } catch (IOException e) {
            throw new AdminRoutes.BadBody("the body is not JSON");
        }
        if (!(body instanceof Map<?, ?> raw)) {
            throw new AdminRoutes.BadBody("the body must be a JSON object");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        raw.forEach((k, v) -> {
            if (v != null) {
                out.put(String.valueOf(k), v);
            }
        });
        return out;
    }

    private static String required(ConfigTable t, String key, String what) {
        String v = t.string(key, null);
        if (v == null || v.isBlank()) {
            throw new ConfigException(what + ": '" + key + "' is required");
        }
        return v;
    }
}
