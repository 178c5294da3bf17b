package dev.sluice.mta.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.mta.ingress.http.JsonOnly;
import dev.sluice.mta.policy.LuaMessage;
import dev.sluice.mta.queue.ScheduledQueues;
import dev.sluice.net.http.HttpResponse;
import dev.sluice.net.http.HttpServer;
import dev.sluice.policy.ConfigException;
import dev.sluice.policy.ConfigSchema;
import dev.sluice.policy.ConfigTable;
import dev.sluice.policy.Policy;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * KumoMTA's {@code POST /api/admin/rebind/v1} (trusted hosts or accepted HTTP Basic, like the other admin routes):
 * the messages queued now whose scheduled queue matches {@code domain}, {@code campaign}, {@code tenant} and
 * {@code routing_domain} (none given: every queue) get the string pairs of {@code data} as meta, or, with
 * {@code trigger_rebind_event}, are passed with {@code data} to the policy's {@code rebind_message(msg, data)},
 * which changes them as it likes; then each is queued again under the queue its meta names now
 * ({@link ScheduledQueues#rebind}). Answers {@code {"rebound": n}} once done ({@code reason} required;
 * {@code suppress_logging}, {@code always_flush} as in KumoMTA).
 */
public final class RebindRoute {
    public static final String PATH = "/api/admin/rebind/v1";
    public static final String EVENT = "rebind_message";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ConfigSchema REBIND = ConfigSchema.of("rebind", Set.of("campaign", "tenant", "domain",
            "routing_domain", "reason", "data", "always_flush", "suppress_logging", "trigger_rebind_event"), Set.of());

    private RebindRoute() {}

    public static void install(HttpServer server, ScheduledQueues queues, Policy policy) {
        server.route("POST", PATH, HttpServer.Access.TRUSTED, new JsonOnly(AdminRoutes.offLoop(request -> {
            Object body;
            try {
                body = JSON.readValue(request.body(), Object.class);
            } catch (java.io.IOException e) {
                throw new ConfigException("rebind: the body is not JSON");
            }
            if (!(body instanceof Map<?, ?> raw)) {
                throw new ConfigException("rebind: the body must be a JSON object");
            }
            Map<String, String> data = data(raw.get("data"));
            Map<String, Object> rest = new LinkedHashMap<>();
            raw.forEach((k, v) -> {
                if (v != null && !"data".equals(k)) {
                    rest.put(String.valueOf(k), v);
                }
            });
            ConfigTable t = ConfigTable.of(REBIND, rest);
            String reason = t.string("reason", null);
            if (reason == null) {
                throw new ConfigException("rebind: 'reason' is required");
            }
            AdminCriteria criteria = new AdminCriteria(t.string("campaign", null), t.string("tenant", null),
                    t.string("domain", null), t.string("routing_domain", null), List.of());
            boolean event = t.bool("trigger_rebind_event", false);
            ScheduledQueues.Rebinder change = event
                    ? m -> policy.call(EVENT, new LuaMessage(m), data)
                    : m -> data.forEach(m::setMeta);
            int n = queues.rebind(criteria::matches, change, t.bool("always_flush", false), reason,
                    t.bool("suppress_logging", false));
            return HttpResponse.json(200, JSON.writeValueAsString(Map.of("rebound", n)));
        })));
    }

    /** KumoMTA's {@code data}: an object with string keys and string values (required). */
    private static Map<String, String> data(Object value) {
        if (!(value instanceof Map<?, ?> m)) {
            throw new ConfigException("rebind: 'data' is required: an object of string keys and values");
        }
        Map<String, String> out = new LinkedHashMap<>();
        m.forEach((k, v) -> {
            if (!(v instanceof String s)) {
                throw new ConfigException("rebind: data '" + k + "' must be a string");
            }
            out.put(String.valueOf(k), s);
        });
        return out;
    }
}
