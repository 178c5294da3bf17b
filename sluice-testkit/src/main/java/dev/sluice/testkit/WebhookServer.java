package dev.sluice.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * A local HTTP server standing in for a webhook or an HTTP API that a policy posts to: the JDK's own HTTP server
 * (independent of Sluice's), on 127.0.0.1, answering every request with what the test's function returns and
 * keeping each request it got.
 */
public final class WebhookServer implements AutoCloseable {
    /** One request as the server got it; header names compared without case. */
    public record Request(String method, String path, Map<String, List<String>> headers, byte[] body) {
        public String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null || values.isEmpty() ? null : values.getFirst();
        }

        public String bodyAsString() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** What to answer: a status and a text/plain body. */
    public record Reply(int status, String body) {
        public static Reply ok(String body) {
            return new Reply(200, body);
        }
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final List<Request> requests = new CopyOnWriteArrayList<>();

    private WebhookServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Listens on 127.0.0.1:{@code port} (0: any free port) and answers each request with {@code answer}. */
    public static WebhookServer start(int port, Function<Request, Reply> answer) {
        HttpServer http;
        try {
            http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on 127.0.0.1:" + port, e);
        }
        ExecutorService executor = Executors.newCachedThreadPool(Thread.ofPlatform().daemon().name("webhook-", 0).factory());
        WebhookServer webhook = new WebhookServer(http, executor);
        http.setExecutor(executor);
        http.createContext("/", exchange -> webhook.handle(exchange, answer));
        http.start();
        return webhook;
    }

    public static WebhookServer start(Function<Request, Reply> answer) {
        return start(0, answer);
    }

    private void handle(HttpExchange exchange, Function<Request, Reply> answer) throws IOException {
        try (exchange) {
            Map<String, List<String>> headers = new TreeMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), List.copyOf(v)));
            Request request = new Request(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                    headers, exchange.getRequestBody().readAllBytes());
            requests.add(request);
            Reply reply;
            try {
                reply = answer.apply(request);
            } catch (RuntimeException | AssertionError e) {
                reply = new Reply(500, "test webhook failed: " + e);
            }
            byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(reply.status(), body.length == 0 ? -1 : body.length);
            if (body.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** {@code http://127.0.0.1:PORT} followed by {@code path}. */
    public String url(String path) {
        return "http://127.0.0.1:" + port() + path;
    }

    /** Every request so far, in the order they came. */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
