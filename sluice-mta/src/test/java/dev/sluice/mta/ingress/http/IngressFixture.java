package dev.sluice.mta.ingress.http;

import dev.sluice.mta.ingress.Admission;

import dev.sluice.mta.ingress.Injector;
import dev.sluice.net.http.HttpListenerConfig;
import dev.sluice.net.http.HttpServer;
import dev.sluice.testkit.CommandTool;
import dev.sluice.testkit.ToolResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** An HttpServer on 127.0.0.1 with the ingress routes, and clients for it (curl and java.net.http). */
final class IngressFixture implements AutoCloseable {
    record Answer(int status, String body) {}

    final HttpServer server;
    final InetSocketAddress address;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final Path dir;

    IngressFixture(Injector injector, Admission admission, Path dir) {
        this(HttpListenerConfig.plain(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)), injector, admission,
                dir);
    }

    IngressFixture(HttpListenerConfig config, Injector injector, Admission admission, Path dir) {
        this.dir = dir;
        server = new HttpServer(config);
        HttpIngress.install(server, injector, admission);
        address = server.start();
    }

    String url(String path) {
        return "http://127.0.0.1:" + address.getPort() + path;
    }

    /** POST with curl, as an operator would. */
    Answer curlPost(String path, String body) {
        try {
            Path file = Files.createTempFile(dir, "body", ".json");
            Files.writeString(file, body);
            ToolResult r = CommandTool.CURL.run("-sS", "-X", "POST", "-H", "Content-Type: application/json",
                    "--data-binary", "@" + file, "-w", "\n%{http_code}", url(path));
            if (!r.ok()) {
                throw new AssertionError("curl failed: " + r.describe());
            }
            return split(r.stdout());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Answer curlGet(String path) {
        ToolResult r = CommandTool.CURL.run("-sS", "-w", "\n%{http_code}", url(path));
        if (!r.ok()) {
            throw new AssertionError("curl failed: " + r.describe());
        }
        return split(r.stdout());
    }

    private static Answer split(String out) {
        int nl = out.lastIndexOf('\n');
        return new Answer(Integer.parseInt(out.substring(nl + 1).trim()), out.substring(0, nl));
    }

    Answer post(String path, String body) throws IOException, InterruptedException {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(url(path)))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build(),
                HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body());
    }

    Answer get(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(url(path))).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body());
    }

    @Override
    public void close() {
        client.close();
        server.stop();
    }
}
