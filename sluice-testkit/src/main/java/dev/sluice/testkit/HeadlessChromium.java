package dev.sluice.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Debian's {@code chromium}, headless, driven over the Chrome DevTools Protocol: the browser is started with
 * {@code --remote-debugging-port=0} and a profile of its own in a temporary directory; the test talks to its one page
 * over a websocket (the JDK's client): {@link #navigate}, {@link #evaluate} (JavaScript in the page, its value back as
 * JSON), {@link #screenshot}. Loopback only. {@link #close} ends the browser and its child processes, by PID.
 */
public final class HeadlessChromium implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

    private final Process process;
    private final Path profile;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> calls = new ConcurrentHashMap<>();

    private HeadlessChromium(Process process, Path profile, WebSocket socket) {
        this.process = process;
        this.profile = profile;
        this.socket = socket;
    }

    /** Whether {@code chromium} is on the PATH. */
    public static boolean available() {
        return Stream.of(System.getenv("PATH").split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, "chromium")));
    }

    /** Starts the browser with a window of {@code width} x {@code height} and connects to its page. */
    public static HeadlessChromium start(int width, int height) {
        Path profile;
        try {
            profile = Files.createTempDirectory("sluice-chromium-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Process process;
        try {
            process = new ProcessBuilder("chromium", "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check", "--hide-scrollbars",
                    "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
                    "--user-data-dir=" + profile, "--window-size=" + width + "," + height, "about:blank")
                    .redirectErrorStream(true).redirectOutput(profile.resolve("chromium.log").toFile()).start();
        } catch (IOException e) {
            throw new PeerStartException("chromium: " + e.getMessage(), e);
        }
        try {
            Path portFile = profile.resolve("DevToolsActivePort");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!(Files.exists(portFile) && Files.readAllLines(portFile).size() >= 2)) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    throw new PeerStartException("chromium did not open its debugging port: "
                            + PeerLogs.tail(profile.resolve("chromium.log"), 20), null);
                }
                Thread.sleep(50);
            }
            int port = Integer.parseInt(Files.readAllLines(portFile).getFirst().strip());
            String wsUrl = pageSocket(port, deadline);
            var listener = new Listener();
            WebSocket socket = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
                    .buildAsync(URI.create(wsUrl), listener).get(30, TimeUnit.SECONDS);
            HeadlessChromium browser = new HeadlessChromium(process, profile, socket);
            listener.browser = browser;
            browser.call("Page.enable", JSON.createObjectNode());
            browser.call("Runtime.enable", JSON.createObjectNode());
            return browser;
        } catch (Exception e) {
            destroy(process);
            deleteTree(profile);
            if (e instanceof PeerStartException p) {
                throw p;
            }
            throw new PeerStartException("chromium: " + e, e);
        }
    }

    /** The debugger websocket of the browser's page (retried until the page target is listed). */
    private static String pageSocket(int port, long deadline) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            while (true) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/json/list")).build(), HttpResponse.BodyHandlers.ofString());
                for (JsonNode target : JSON.readTree(r.body())) {
                    if ("page".equals(target.path("type").asText())) {
                        return target.path("webSocketDebuggerUrl").asText();
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("chromium lists no page: " + r.body());
                }
                Thread.sleep(50);
            }
        }
    }

    /** Receives the protocol's messages; completes the call each answer is for (events are ignored). */
    private static final class Listener implements WebSocket.Listener {
        volatile HeadlessChromium browser;
        private final StringBuilder text = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                String message = text.toString();
                text.setLength(0);
                try {
                    JsonNode node = JSON.readTree(message);
                    HeadlessChromium b = browser;
                    if (b != null && node.has("id")) {
                        CompletableFuture<JsonNode> call = b.calls.remove(node.get("id").asInt());
                        if (call != null) {
                            call.complete(node);
                        }
                    }
                } catch (IOException e) {
                    // not JSON: not an answer
                }
            }
            webSocket.request(1);
            return null;
        }
    }

    /** Sends one protocol command and waits for its result; a protocol error fails. */
    public JsonNode call(String method, ObjectNode params) {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        calls.put(id, answer);
        ObjectNode message = JSON.createObjectNode().put("id", id).put("method", method);
        message.set("params", params);
        try {
            socket.sendText(message.toString(), true).get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            JsonNode node = answer.get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            if (node.has("error")) {
                throw new IllegalStateException("chromium " + method + ": " + node.get("error"));
            }
            return node.path("result");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted in chromium " + method, e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("chromium " + method + ": " + e, e);
        } finally {
            calls.remove(id);
        }
    }

    /** Opens {@code url} in the page (returns once the navigation started; wait for content with {@link #await}). */
    public void navigate(String url) {
        JsonNode r = call("Page.navigate", JSON.createObjectNode().put("url", url));
        if (r.hasNonNull("errorText")) {
            throw new IllegalStateException("chromium could not open " + url + ": " + r.get("errorText").asText());
        }
    }

    /**
     * Runs {@code expression} in the page (a promise is awaited) and returns its value as JSON (null for undefined);
     * an exception in the page fails with its description.
     */
    public JsonNode evaluate(String expression) {
        JsonNode r = call("Runtime.evaluate", JSON.createObjectNode().put("expression", expression)
                .put("returnByValue", true).put("awaitPromise", true));
        if (r.has("exceptionDetails")) {
            throw new IllegalStateException("in the page: " + expression + ": "
                    + r.get("exceptionDetails").path("exception").path("description").asText(
                            r.get("exceptionDetails").toString()));
        }
        return r.path("result").path("value");
    }

    /** Evaluates {@code expression} until its value passes {@code until}, at most {@code timeout}; returns that value. */
    public JsonNode await(String expression, Predicate<JsonNode> until, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        RuntimeException error = null;
        while (System.nanoTime() < deadline) {
            try {
                last = evaluate(expression);
                error = null;
                if (until.test(last)) {
                    return last;
                }
            } catch (IllegalStateException e) {
                error = e; // e.g. the page is still loading
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new AssertionError("the page never gave what was awaited for " + expression + "; last value " + last
                + (error == null ? "" : ", last error " + error.getMessage()));
    }

    /** A PNG of the page as it shows now (the whole page when {@code fullPage}). */
    public byte[] screenshot(boolean fullPage) {
        ObjectNode params = JSON.createObjectNode().put("format", "png").put("captureBeyondViewport", fullPage);
        return Base64.getDecoder().decode(call("Page.captureScreenshot", params).path("data").asText());
    }

    @Override
    public void close() {
        socket.abort();
        destroy(process);
        deleteTree(profile);
    }

    /** Ends the browser's children, then the browser, by PID; waits for them. */
    private static void destroy(Process process) {
        List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
        all.add(process.toHandle());
        all.forEach(ProcessHandle::destroy);
        for (ProcessHandle h : all) {
            try {
                h.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                h.destroyForcibly();
            }
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: a temporary directory
        }
    }
}
