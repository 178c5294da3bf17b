package dev.sluice.net.http;

import java.util.concurrent.CompletableFuture;

/**
 * Handles one route. Runs on a Netty event loop: do slow work elsewhere and complete the future later.
 * An exception (thrown or completing the future) becomes a 500.
 */
@FunctionalInterface
public interface HttpHandler {

    CompletableFuture<HttpResponse> handle(HttpRequest request) throws Exception;

    /** A handler that answers at once. */
    @FunctionalInterface
    interface Sync {
        HttpResponse handle(HttpRequest request) throws Exception;
    }

    static HttpHandler sync(Sync handler) {
        return request -> CompletableFuture.completedFuture(handler.handle(request));
    }
}
