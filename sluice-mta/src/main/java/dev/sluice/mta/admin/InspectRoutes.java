package dev.sluice.mta.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.mta.dispatch.ProtocolDispatch;
import dev.sluice.mta.dispatch.SmtpDispatch;
import dev.sluice.mta.message.Message;
import dev.sluice.mta.message.MessageId;
import dev.sluice.mta.message.Scheduling;
import dev.sluice.mta.queue.AdminRules;
import dev.sluice.mta.queue.ReadyMessage;
import dev.sluice.mta.queue.ScheduledQueues;
import dev.sluice.mta.spool.Spool;
import dev.sluice.net.http.HttpRequest;
import dev.sluice.net.http.HttpResponse;
import dev.sluice.net.http.HttpServer;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.egress.EgressPath;
import dev.sluice.policy.egress.QueueConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * KumoMTA's read-only admin routes for looking into the queues, for trusted hosts and accepted HTTP Basic
 * credentials like the other admin routes ({@link HttpServer.Access#TRUSTED}):
 * <ul>
 *   <li>{@code GET /api/admin/inspect-message/v1?id=…[&want_body=true]} → {@code {"id", "message": {"sender",
 *       "recipient", "meta", "scheduling", "due", "num_attempts"[, "data"]}}}; the data is read from the spool
 *       (a queued message need not hold it in memory); 404 when the message is not queued;</li>
 *   <li>{@code GET /api/admin/inspect-sched-q/v1?queue_name=…[&want_body=true][&limit=N]} → the queue's name,
 *       counts, {@code queue_config} and up to {@code limit} of its messages (all without a limit);</li>
 *   <li>{@code GET /api/admin/inspect-ready-q/v1?queue_name=…} → the ready queue's source, site, provider,
 *       counts, suspension and {@code path_config}; 404 when there is no such ready queue;</li>
 *   <li>{@code GET /api/admin/ready-q-states/v1[?queues=a,b]} → {@code {"states_by_ready_queue": {name: …}}}.</li>
 * </ul>
 */
public final class InspectRoutes {
    public static final String MESSAGE = "/api/admin/inspect-message/v1";
    public static final String SCHED_Q = "/api/admin/inspect-sched-q/v1";
    public static final String READY_Q = "/api/admin/inspect-ready-q/v1";
    public static final String READY_Q_STATES = "/api/admin/ready-q-states/v1";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Meta keys Sluice keeps for itself (shown in their own fields instead). */
    private static final Set<String> INTERNAL = Set.of(ScheduledQueues.META_ATTEMPTS, ScheduledQueues.META_DUE,
            Scheduling.META_KEY);

    private InspectRoutes() {}

    public static void install(HttpServer server, ScheduledQueues queues, Spool spool, AdminRules admin) {
        server.route("GET", MESSAGE, HttpServer.Access.TRUSTED, AdminRoutes.offLoop(request -> {
            String text = required(request, "id");
            MessageId id;
            try {
                id = MessageId.parse(text.strip());
            } catch (RuntimeException e) {
                return HttpResponse.text(400, "id: '" + text + "' is not a spool id\n");
            }
            Optional<ScheduledQueues.Queued> found = queues.find(id);
            if (found.isEmpty()) {
                return HttpResponse.text(404, "message " + id + " is not queued\n");
            }
            return json(message(found.get(), flag(request, "want_body"), spool));
        }));
        server.route("GET", SCHED_Q, HttpServer.Access.TRUSTED, AdminRoutes.offLoop(request -> {
            String name = required(request, "queue_name");
            int limit = limit(request);
            boolean body = flag(request, "want_body");
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("queue_name", name);
            int count = queues.snapshot().getOrDefault(name, 0);
            out.put("num_scheduled", count);
            out.put("delayed_metric", count);
            out.put("now", Instant.now().toString());
            out.put("last_changed", Instant.now().toString());
            out.put("queue_config", queueConfig(queues, name));
            List<Object> messages = new java.util.ArrayList<>();
            for (ScheduledQueues.Queued q : queues.waiting(name, limit)) {
                messages.add(message(q, body, spool));
            }
            out.put("messages", messages);
            return json(out);
        }));
        server.route("GET", READY_Q, HttpServer.Access.TRUSTED, AdminRoutes.offLoop(request -> {
            String name = required(request, "queue_name");
            Optional<SmtpDispatch> smtp = smtp(queues);
            SmtpDispatch.QueueStatus status = smtp.map(s -> s.queues().get(name)).orElse(null);
            Optional<ReadyMessage> latest = smtp.flatMap(s -> s.latest(name));
            if (status == null || latest.isEmpty()) {
                return HttpResponse.text(404, "no ready queue " + name + "\n");
            }
            ReadyMessage r = latest.get();
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("queue_name", name);
            out.put("now", Instant.now().toString());
            out.put("egress_source", r.source().name());
            out.put("egress_pool", r.poolName());
            out.put("protocol", "smtp_client");
            out.put("site_name", r.siteName());
            out.put("provider", provider(r));
            out.put("state", state(name, status, admin));
            out.put("path_config", pathConfig(r.plan().path()));
            return json(out);
        }));
        server.route("GET", READY_Q_STATES, HttpServer.Access.TRUSTED, AdminRoutes.offLoop(request -> {
            String wanted = request.queryParam("queues");
            Set<String> only = wanted == null || wanted.isBlank() ? Set.of()
                    : Set.of(wanted.split("\\s*,\\s*"));
            Map<String, Object> states = new java.util.TreeMap<>();
            smtp(queues).ifPresent(s -> s.queues().forEach((name, status) -> {
                if (only.isEmpty() || only.contains(name)) {
                    Map<String, Object> st = state(name, status, admin);
                    s.latest(name).ifPresent(r -> {
                        st.put("egress_source", r.source().name());
                        st.put("egress_pool", r.poolName());
                        st.put("site_name", r.siteName());
                        st.put("provider", provider(r));
                    });
                    states.put(name, st);
                }
            }));
            return json(Map.of("states_by_ready_queue", states));
        }));
    }

    /** KumoMTA's InspectMessageV1Response for {@code q}; the data comes from the spool. */
    static Map<String, Object> message(ScheduledQueues.Queued q, boolean wantBody, Spool spool) throws IOException {
        Message m = q.message();
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("sender", m.sender());
        info.put("recipient", m.recipient());
        Map<String, Object> meta = new LinkedHashMap<>();
        m.metaMap().forEach((k, v) -> {
            if (!INTERNAL.contains(k)) {
                meta.put(k, v);
            }
        });
        info.put("meta", meta);
        info.put("scheduling", m.meta(Scheduling.META_KEY) instanceof Map<?, ?> s ? s : Map.of());
        info.put("due", q.due() == null ? null : q.due().toString());
        info.put("num_attempts", q.attempts());
        info.put("queue", q.queue());
        if (wantBody) {
            info.put("data", new String(spool.readData(m.id()), StandardCharsets.UTF_8));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", m.id().toString());
        out.put("message", info);
        return out;
    }

    private static Map<String, Object> state(String name, SmtpDispatch.QueueStatus status, AdminRules admin) {
        Map<String, Object> st = new LinkedHashMap<>();
        st.put("ready_count", status.waiting());
        st.put("connection_count", status.connections());
        admin.readySuspended(name).ifPresent(h -> {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("name", name);
            s.put("reason", h.reason());
            s.put("duration", AdminRequests.formatDuration(java.time.Duration.between(Instant.now(), h.until())));
            s.put("expires", AdminRequests.instant(h.until()));
            st.put("suspended", s);
        });
        return st;
    }

    /** The provider a ready queue counts under: the shaping's provider_name when set, else its MX site. */
    static String provider(ReadyMessage r) {
        return r.provider();
    }

    private static Optional<SmtpDispatch> smtp(ScheduledQueues queues) {
        var dispatch = queues.dispatch() instanceof ProtocolDispatch p ? p.smtp() : queues.dispatch();
        return dispatch instanceof SmtpDispatch s ? Optional.of(s) : Optional.empty();
    }

    private static Map<String, Object> queueConfig(ScheduledQueues queues, String name) {
        try {
            return queueConfig(queues.queueConfig(name));
        } catch (PolicyException | RuntimeException e) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("error", "get_queue_config failed: " + e.getMessage());
            return c;
        }
    }

    /** A queue config as the admin routes show it (durations as "20m", rates as "100/s"). */
    static Map<String, Object> queueConfig(QueueConfig config) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("egress_pool", config.egressPool().orElse(null));
        c.put("retry_interval", AdminRequests.formatDuration(config.retryInterval()));
        c.put("max_retry_interval", config.maxRetryInterval().map(AdminRequests::formatDuration).orElse(null));
        c.put("max_age", AdminRequests.formatDuration(config.maxAge()));
        c.put("max_message_rate", config.maxMessageRate().map(ResolveEgressPathRoute::rate).orElse(null));
        c.put("protocol", String.valueOf(config.protocol()));
        return c;
    }

    static Map<String, Object> pathConfig(EgressPath p) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("connection_limit", p.connectionLimit());
        c.put("max_deliveries_per_connection", p.maxDeliveriesPerConnection());
        c.put("max_recipients_per_batch", p.maxRecipientsPerBatch());
        c.put("enable_tls", String.valueOf(p.enableTls()));
        c.put("smtp_port", p.smtpPort());
        c.put("max_connection_rate", p.maxConnectionRate().map(ResolveEgressPathRoute::rate).orElse(null));
        c.put("max_message_rate", p.maxMessageRate().map(ResolveEgressPathRoute::rate).orElse(null));
        c.put("provider_name", p.providerName().orElse(null));
        c.put("additional_connection_limits", p.additionalConnectionLimits());
        return c;
    }

    private static String required(HttpRequest request, String name) {
        String v = request.queryParam(name);
        if (v == null || v.isBlank()) {
            throw new AdminRoutes.BadBody("the query parameter '" + name + "' is required");
        }
        return v;
    }

    private static boolean flag(HttpRequest request, String name) {
        String v = request.queryParam(name);
        return v != null && (v.isEmpty() || v.equalsIgnoreCase("true") || v.equals("1"));
    }

    private static int limit(HttpRequest request) {
        String v = request.queryParam("limit");
        if (v == null || v.isBlank()) {
            return Integer.MAX_VALUE;
        }
        try {
            return Math.max(0, Integer.parseInt(v.strip()));
        } catch (NumberFormatException e) {
            throw new AdminRoutes.BadBody("limit: '" + v + "' is not a number");
        }
    }

    private static HttpResponse json(Object value) throws IOException {
        return HttpResponse.json(200, JSON.writeValueAsString(value));
    }
}
