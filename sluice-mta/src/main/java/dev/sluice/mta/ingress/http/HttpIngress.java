package dev.sluice.mta.ingress.http;

import dev.sluice.mta.ingress.Admission;

import dev.sluice.mta.ingress.Injector;
import dev.sluice.net.http.HttpResponse;
import dev.sluice.net.http.HttpServer;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;

/**
 * The MTA's HTTP ingress routes, for trusted hosts only (as KumoMTA):
 * <ul>
 *   <li>{@code POST /api/inject/v1} — KumoMTA's injection API, see {@link InjectRequest} and {@link InjectResponse};
 *       only with {@code Content-Type: application/json} ({@link JsonOnly}: 415 otherwise);</li>
 *   <li>{@code GET /api/check-liveness/v1} — 200 "OK", or 503 with the liveness {@link Admission}'s reason
 *   (the inject admission plus what only operators see, e.g. every Lua state stuck).</li>
 * </ul>
 * {@code /metrics} is {@link dev.sluice.net.http.MetricsRoutes}' job.
 */
public final class HttpIngress {
    public static final String INJECT_PATH = "/api/inject/v1";
    public static final String LIVENESS_PATH = "/api/check-liveness/v1";

    // Template rendering and MIME building are CPU work off the event loop; virtual threads need no shutdown.
    private static final Executor GENERATORS =
            Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("http-inject-", 0).factory());

    private HttpIngress() {}

    public static void install(HttpServer server, Injector injector, Admission admission) {
        install(server, injector, admission, admission);
    }

    /** @param liveness what {@code /api/check-liveness/v1} reports; include {@code admission} in it */
    public static void install(HttpServer server, Injector injector, Admission admission, Admission liveness) {
        install(server, injector, admission, liveness, GENERATORS, Clock.systemUTC(), null);
    }

    /**
     * @param spillDirectory where a large request body and large generated messages are written instead of being kept
     *                       on the heap (files without a name, as ESMTP's DATA); null keeps them on the heap
     */
    public static void install(HttpServer server, Injector injector, Admission admission, Admission liveness,
                               java.nio.file.Path spillDirectory) {
        install(server, injector, admission, liveness, GENERATORS, Clock.systemUTC(), spillDirectory);
    }

    static void install(HttpServer server, Injector injector, Admission admission, Executor executor, Clock clock) {
        install(server, injector, admission, admission, executor, clock, null);
    }

    static void install(HttpServer server, Injector injector, Admission admission, Admission liveness,
                        Executor executor, Clock clock, java.nio.file.Path spillDirectory) {
        Objects.requireNonNull(injector, "injector");
        Objects.requireNonNull(admission, "admission");
        Objects.requireNonNull(liveness, "liveness");
        executor.execute(Templates.Jinja::warmUp);
        server.route("POST", INJECT_PATH, HttpServer.Access.TRUSTED, new JsonOnly(new InjectHandler(injector,
                admission, server::boundAddress, server.config().hostname(), executor, clock, spillDirectory)));
        server.get(LIVENESS_PATH, HttpServer.Access.TRUSTED, request -> liveness.refuseReason()
                .map(reason -> HttpResponse.text(503, reason + "\n"))
                .orElseGet(() -> HttpResponse.text(200, "OK\n")));
    }
}
