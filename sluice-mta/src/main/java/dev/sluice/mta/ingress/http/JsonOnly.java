package dev.sluice.mta.ingress.http;

import dev.sluice.net.http.HttpHandler;
import dev.sluice.net.http.HttpRequest;
import dev.sluice.net.http.HttpResponse;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * Lets a request through to {@code next} only when its Content-Type is {@code application/json} (a charset
 * parameter, if any, must be UTF-8); anything else gets 415 before the body is parsed.
 *
 * <p>Why: a web page open in a browser on a trusted host may POST to the inject API without asking (a CORS
 * "simple request") only as {@code text/plain}, {@code application/x-www-form-urlencoded},
 * {@code multipart/form-data} or with no type at all. With {@code application/json} the browser must ask first
 * (a preflight OPTIONS, which no route answers), so such a page cannot inject mail.
 */
public record JsonOnly(HttpHandler next) implements HttpHandler {

    @Override
    public CompletableFuture<HttpResponse> handle(HttpRequest request) throws Exception {
        String type = request.header("content-type");
        if (!isJson(type)) {
            return CompletableFuture.completedFuture(HttpResponse.text(415,
                    "Content-Type must be application/json, got " + (type == null ? "none" : "'" + type + "'")
                            + "\n"));
        }
        return next.handle(request);
    }

    /** {@code application/json} in any case, with no parameter but an optional {@code charset=utf-8}. */
    static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        String[] parts = contentType.split(";", -1);
        if (!parts[0].strip().toLowerCase(Locale.ROOT).equals("application/json")) {
            return false;
        }
        for (int i = 1; i < parts.length; i++) {
            String param = parts[i].strip();
            int eq = param.indexOf('=');
            if (eq < 0) {
                return false;
            }
            String name = param.substring(0, eq).strip().toLowerCase(Locale.ROOT);
            String value = param.substring(eq + 1).strip();
            if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                value = value.substring(1, value.length() - 1);
            }
            if (!name.equals("charset") || !(value.equalsIgnoreCase("utf-8") || value.equalsIgnoreCase("utf8"))) {
                return false;
            }
        }
        return true;
    }
}
