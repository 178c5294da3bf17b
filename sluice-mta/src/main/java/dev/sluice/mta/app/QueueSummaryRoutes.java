package dev.sluice.mta.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.mta.dispatch.ProtocolDispatch;
import dev.sluice.mta.dispatch.SmtpDispatch;
import dev.sluice.mta.queue.AdminRules;
import dev.sluice.mta.queue.QueueName;
import dev.sluice.mta.queue.ScheduledQueues;
import dev.sluice.net.http.HttpResponse;
import dev.sluice.net.http.HttpServer;

/**
 * {@code GET /api/admin/queue-summary/v1} (trusted peers):
 * {@code {"scheduled": {"queue": count}, "ready": {"name": {"waiting": n, "connections": c}}}}; with the admin
 * entries, {@code "suspended": {"queue": "reason"}} for the listed scheduled queues that are suspended and a
 * {@code "suspended": "reason"} field in each suspended ready queue.
 * Ready queues are listed when dispatch is {@link SmtpDispatch} (the only dispatch the CLI runs).
 */
public final class QueueSummaryRoutes {
    public static final String PATH = "/api/admin/queue-summary/v1";
    private static final ObjectMapper JSON = new ObjectMapper();

    private QueueSummaryRoutes() {}

    public static void install(HttpServer server, ScheduledQueues queues) {
        install(server, queues, AdminRules.NONE);
    }

    public static void install(HttpServer server, ScheduledQueues queues, AdminRules admin) {
        server.get(PATH, HttpServer.Access.TRUSTED, request -> HttpResponse.json(200, render(queues, admin)));
    }

    static String render(ScheduledQueues queues) throws Exception {
        return render(queues, AdminRules.NONE);
    }

    static String render(ScheduledQueues queues, AdminRules admin) throws Exception {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode scheduled = root.putObject("scheduled");
        var snapshot = queues.snapshot();
        snapshot.forEach(scheduled::put);
        ObjectNode suspended = root.putObject("suspended");
        snapshot.keySet().forEach(q -> admin.suspended(QueueName.parse(q))
                .ifPresent(h -> suspended.put(q, h.reason())));
        ObjectNode ready = root.putObject("ready");
        var dispatch = queues.dispatch() instanceof ProtocolDispatch p ? p.smtp() : queues.dispatch();
        if (dispatch instanceof SmtpDispatch smtp) {
            smtp.queues().forEach((name, status) -> {
                ObjectNode q = ready.putObject(name).put("waiting", status.waiting())
                        .put("connections", status.connections());
                admin.readySuspended(name).ifPresent(h -> q.put("suspended", h.reason()));
            });
        }
        return JSON.writeValueAsString(root);
    }
}
