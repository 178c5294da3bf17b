package dev.sluice.mta.admin;

import dev.sluice.net.http.HttpResponse;
import dev.sluice.net.http.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The web console on the MTA's HTTP listener, for the same peers as the admin API (trusted hosts, or HTTP Basic
 * credentials the policy's {@code http_server_validate_auth_basic} accepts): {@code GET /} is the page,
 * {@code /console/console.js} and {@code /console/console.css} its script and style (resources in the jar, no
 * external asset, no framework), and the websocket {@code /api/console/live/v1} ({@link Console}) its live feed. The
 * page itself reads the admin routes' JSON ({@code queue-summary}, {@code ready-q-states}, {@code suspend},
 * {@code suspend-ready-q}, {@code bounce}, {@code inspect-message}, {@code /metrics.json}) and acts through their
 * POST and DELETE, after a confirmation step.
 */
public final class ConsoleRoutes {
    public static final String PAGE = "/";
    public static final String LIVE = "/api/console/live/v1";
    private static final String BASE = "/dev/sluice/mta/admin/console/";
    private static final Map<String, String> FILES = Map.of(
            PAGE, "index.html",
            "/console/console.js", "console.js",
            "/console/console.css", "console.css");

    private ConsoleRoutes() {}

    public static void install(HttpServer server, Console console) {
        FILES.forEach((path, file) -> {
            HttpResponse page = new HttpResponse(200, contentType(file), read(file));
            server.get(path, HttpServer.Access.TRUSTED, request -> page);
        });
        server.webSocket(LIVE, HttpServer.Access.TRUSTED, console);
    }

    private static String contentType(String file) {
        if (file.endsWith(".html")) return "text/html; charset=utf-8";
        if (file.endsWith(".js")) return "text/javascript; charset=utf-8";
        return "text/css; charset=utf-8";
    }

    private static byte[] read(String file) {
        try (InputStream in = ConsoleRoutes.class.getResourceAsStream(BASE + file)) {
            if (in == null) {
                throw new IllegalStateException("resource " + BASE + file + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
