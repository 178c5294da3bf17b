package dev.sluice.mta.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.mta.dispatch.ProtocolDispatch;
import dev.sluice.mta.dispatch.SmtpDispatch;
import dev.sluice.mta.queue.AdminRules;
import dev.sluice.mta.queue.QueueName;
import dev.sluice.mta.queue.ScheduledQueues;
import dev.sluice.mta.queue.SpoolEnumeration;
import dev.sluice.net.http.HttpResponse;
import dev.sluice.net.http.HttpServer;

/**
 * {@code GET /api/admin/queue-summary/v1} (trusted peers):
 * {@code {"scheduled": {"queue": count}, "ready": {"name": {"waiting": n, "connections": c}},
 * "enumeration": {"done": bool, "found": n, "total": n}}}, the last being start-up's walk over the spool; with the
 * admin entries, {@code "suspended": {"queue": "reason"}} for the listed scheduled queues that are suspended and a
 * {@code "suspended": "reason"} field in each suspended ready queue.
 * Ready queues are listed when dispatch is {@link SmtpDispatch} (the only dispatch the CLI runs).
 */
public final class QueueSummaryRoutes {
    public static final String PATH = "/api/admin/queue-summary/v1";
    private static final ObjectMapper JSON = new ObjectMapper();

    private QueueSummaryRoutes() {}

    public static void install(HttpServer server, ScheduledQueues queues, AdminRules admin,
            SpoolEnumeration enumeration) {
        server.get(PATH, HttpServer.Access.TRUSTED,
                request -> HttpResponse.json(200, render(queues, admin, enumeration)));
    }

    static String render(ScheduledQueues queues, AdminRules admin) throws Exception {
        return render(queues, admin, null);
    }

    static String render(ScheduledQueues queues, AdminRules admin, SpoolEnumeration enumeration) throws Exception {
        ObjectNode root = JSON.createObjectNode();
        if (enumeration != null) {
            ObjectNode e = root.putObject("enumeration");
            e.put("done", enumeration.done()).put("found", enumeration.found()).put("total", enumeration.total());
            if (enumeration.failure() != null) {
                e.put("failure", enumeration.failure());
            }
        }
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
