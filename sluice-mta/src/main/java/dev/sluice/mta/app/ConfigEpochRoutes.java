package dev.sluice.mta.app;

import dev.sluice.net.http.HttpHandler;
import dev.sluice.net.http.HttpResponse;
import dev.sluice.net.http.HttpServer;
import dev.sluice.policy.ConfigEpoch;

/**
 * {@code POST /api/admin/bump-config-epoch} (trusted peers), as KumoMTA: bumps the policy's config epoch, so that
 * epoch memoize caches empty and {@code refresh_strategy = 'Epoch'} configs are fetched again; 200 when done.
 */
public final class ConfigEpochRoutes {
    public static final String PATH = "/api/admin/bump-config-epoch";

    private ConfigEpochRoutes() {}

    public static void install(HttpServer server, ConfigEpoch epoch) {
        server.route("POST", PATH, HttpServer.Access.TRUSTED, HttpHandler.sync(request -> {
            long now = epoch.bump("POST " + PATH + " from " + request.peer().getAddress().getHostAddress());
            return HttpResponse.text(200, "config epoch is now " + now + "\n");
        }));
    }
}
