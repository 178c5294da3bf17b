package dev.sluice.mta.app;

import dev.sluice.net.http.HttpResponse;
import dev.sluice.net.http.HttpServer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code POST /api/admin/bump-config-epoch} (admin access: trusted hosts or accepted HTTP Basic credentials), as
 * KumoMTA's: the policy file is reloaded ({@link PolicyReload}) and the config epoch moves on, so that new work runs
 * the file as it is now. 200 with {@code policy reloaded; config epoch is now N} (and a line for each init-only
 * setting that needs a restart); 422 with the {@code file:line: reason} when the file is refused (the running policy
 * stays). The reload runs on a virtual thread, never on the event loop.
 */
public final class ConfigEpochRoutes {
    public static final String PATH = "/api/admin/bump-config-epoch";

    private static final ExecutorService WORK = Executors.newVirtualThreadPerTaskExecutor();

    private ConfigEpochRoutes() {}

    public static void install(HttpServer server, PolicyReload reload) {
        server.route("POST", PATH, HttpServer.Access.TRUSTED, request -> CompletableFuture.supplyAsync(() -> {
            String peer = request.peer().getAddress().getHostAddress();
            return switch (reload.reload("POST " + PATH + " from " + peer)) {
                case PolicyReload.Outcome.Reloaded r -> {
                    StringBuilder body = new StringBuilder("policy reloaded; config epoch is now " + r.epoch() + "\n");
                    r.needRestart().forEach(line -> body.append("needs a restart, not applied: ").append(line)
                            .append('\n'));
                    yield HttpResponse.text(200, body.toString());
                }
                case PolicyReload.Outcome.Refused r -> HttpResponse.text(422,
                        "policy reload refused, the running policy stays: " + r.reason() + "\n");
            };
        }, WORK));
    }
}
