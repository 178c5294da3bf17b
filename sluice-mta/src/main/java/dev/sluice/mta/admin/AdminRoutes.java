package dev.sluice.mta.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.mta.ingress.http.JsonOnly;
import dev.sluice.net.http.HttpHandler;
import dev.sluice.net.http.HttpRequest;
import dev.sluice.net.http.HttpResponse;
import dev.sluice.net.http.HttpServer;
import dev.sluice.policy.ConfigException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * KumoMTA's admin routes for bounces and suspensions, with its JSON bodies, for trusted hosts and for HTTP Basic
 * credentials the policy's {@code http_server_validate_auth_basic} accepts ({@link HttpServer.Access#TRUSTED}):
 * <ul>
 *   <li>{@code POST /api/admin/bounce/v1} → {@code {"id", "bounced": {}, "total_bounced": 0}} (the sweep of what
 *       is queued runs after the answer, as in KumoMTA; the counts show in the list); {@code GET} → the entries;
 *       {@code DELETE {"id"}} → 200, or 404 when there is no such entry;</li>
 *   <li>{@code /api/admin/suspend/v1} and {@code /api/admin/suspend-ready-q/v1}: POST → {@code {"id"}}, GET, DELETE
 *       likewise.</li>
 * </ul>
 * POST and DELETE bodies must be {@code application/json} ({@link JsonOnly}: a web page cannot send them
 * cross-site); a bad body gets 400 naming the key. Saving to disk happens off the event loop.
 */
public final class AdminRoutes {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Each change is fsynced before the answer: not on an event loop. */
    private static final ExecutorService WORK = Executors.newVirtualThreadPerTaskExecutor();

    private AdminRoutes() {}

    public static void install(HttpServer server, AdminControl admin) {
        route(server, AdminControl.Kind.BOUNCE, admin, body -> {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("id", admin.bounce(body).id().toString());
            out.put("bounced", Map.of());
            out.put("total_bounced", 0);
            return out;
        });
        route(server, AdminControl.Kind.SUSPEND, admin, body -> Map.of("id", admin.suspend(body).id().toString()));
        route(server, AdminControl.Kind.SUSPEND_READY_Q, admin,
                body -> Map.of("id", admin.suspendReadyQueue(body).id().toString()));
    }

    private static void route(HttpServer server, AdminControl.Kind kind, AdminControl admin,
                              Function<Object, Object> create) {
        server.get(kind.path, HttpServer.Access.TRUSTED, request -> json(200, admin.views(kind)));
        server.route("POST", kind.path, HttpServer.Access.TRUSTED, new JsonOnly(offLoop(request ->
                json(200, create.apply(body(request))))));
        server.route("DELETE", kind.path, HttpServer.Access.TRUSTED, new JsonOnly(offLoop(request -> {
            UUID id = AdminRequests.id(body(request));
            return admin.delete(kind, id) ? HttpResponse.text(200, "removed " + id + "\n")
                    : HttpResponse.text(404, kind.luaName.replace('_', '-') + " entry " + id + " not found\n");
        })));
    }

    static HttpHandler offLoop(HttpHandler.Sync handler) {
        return request -> CompletableFuture.supplyAsync(() -> {
            try {
                return handler.handle(request);
            } catch (ConfigException | BadBody e) {
                return HttpResponse.text(400, e.getMessage() + "\n");
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, WORK);
    }

    private static Object body(HttpRequest request) {
        try {
            Object body = JSON.readValue(request.body(), Object.class);
            if (!(body instanceof Map<?, ?>)) {
                throw new BadBody("the body must be a JSON object");
            }
            return body;
        } catch (java.io.IOException e) {
            throw new BadBody("the body is not JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    private static HttpResponse json(int status, Object value) throws JsonProcessingException {
        return HttpResponse.json(status, JSON.writeValueAsString(value));
    }

    static final class BadBody extends RuntimeException {
        BadBody(String message) {
            super(message);
        }
    }
}
