package dev.sluice.net.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HttpServerTest {

    private static final InetSocketAddress LOOPBACK_ANY_PORT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private final List<HttpServer> servers = new ArrayList<>();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @AfterEach
    void stopServers() {
        servers.forEach(HttpServer::stop);
        client.close();
    }

    private HttpServer server(HttpListenerConfig config) {
        HttpServer server = new HttpServer(config);
        servers.add(server);
        return server;
    }

    private static URI uri(InetSocketAddress addr, String path) {
        return URI.create("http://127.0.0.1:" + addr.getPort() + path);
    }

    private java.net.http.HttpResponse<String> get(InetSocketAddress addr, String path) throws Exception {
        return client.send(java.net.http.HttpRequest.newBuilder(uri(addr, path)).GET().build(), BodyHandlers.ofString());
    }

    @Test
    void statusRouteAnswersOnTheRealBoundPort() throws Exception {
        HttpServer server = server(HttpListenerConfig.plain(LOOPBACK_ANY_PORT));
        server.get("/proxy/status", HttpServer.Access.PUBLIC, req -> HttpResponse.text(200, "KumoProxy OK"));
        InetSocketAddress bound = server.start();

        assertThat(bound.getPort()).isPositive();
        assertThat(server.boundAddress()).isEqualTo(bound);
        var response = get(bound, "/proxy/status");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("KumoProxy OK");
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
    }

    @Test
    void unknownPathIs404AndWrongMethodIs405WithAllow() throws Exception {
        HttpServer server = server(HttpListenerConfig.plain(LOOPBACK_ANY_PORT));
        server.get("/proxy/status", HttpServer.Access.PUBLIC, req -> HttpResponse.text(200, "KumoProxy OK"));
        InetSocketAddress bound = server.start();

        assertThat(get(bound, "/nope").statusCode()).isEqualTo(404);
        var post = client.send(java.net.http.HttpRequest.newBuilder(uri(bound, "/proxy/status"))
                .POST(BodyPublishers.ofString("x")).build(), BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("allow")).hasValue("GET");
    }

    @Test
    void requestCarriesQueryHeadersBodyAndPeer() throws Exception {
        HttpServer server = server(HttpListenerConfig.plain(LOOPBACK_ANY_PORT));
        List<dev.sluice.net.http.HttpRequest> seen = new CopyOnWriteArrayList<>();
        server.route("POST", "/api/inject/v1", HttpHandler.sync(req -> {
            seen.add(req);
            return HttpResponse.json(200, "{\"ok\":true}");
        }));
        InetSocketAddress bound = server.start();

        var response = client.send(java.net.http.HttpRequest.newBuilder(uri(bound, "/api/inject/v1?a=1&b=x%20y"))
                .header("X-Thing", "42").POST(BodyPublishers.ofString("{\"hello\":1}")).build(), BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(seen).hasSize(1);
        var req = seen.get(0);
        assertThat(req.method()).isEqualTo("POST");
        assertThat(req.path()).isEqualTo("/api/inject/v1");
        assertThat(req.queryParam("a")).isEqualTo("1");
        assertThat(req.queryParam("b")).isEqualTo("x y");
        assertThat(req.header("x-thing")).isEqualTo("42");
        assertThat(req.bodyAsString()).isEqualTo("{\"hello\":1}");
        assertThat(req.peer().getAddress().isLoopbackAddress()).isTrue();
        assertThat(req.trusted()).isTrue();
    }

    @Test
    void bodyOverTheLimitIs413AndAtTheLimitIsAccepted() throws Exception {
        HttpServer server = server(HttpListenerConfig.plain(LOOPBACK_ANY_PORT).withRequestBodyLimit(4096));
        server.route("POST", "/api/inject/v1", HttpHandler.sync(req -> HttpResponse.text(200, "got " + req.body().length)));
        InetSocketAddress bound = server.start();

        var ok = client.send(java.net.http.HttpRequest.newBuilder(uri(bound, "/api/inject/v1"))
                .POST(BodyPublishers.ofByteArray(new byte[4096])).build(), BodyHandlers.ofString());
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body()).isEqualTo("got 4096");

        var tooBig = client.send(java.net.http.HttpRequest.newBuilder(uri(bound, "/api/inject/v1"))
                .POST(BodyPublishers.ofByteArray(new byte[4097])).build(), BodyHandlers.ofString());
        assertThat(tooBig.statusCode()).isEqualTo(413);
    }

    @Test
    void defaultBodyLimitIsTwoMegabytes() throws Exception {
        HttpServer server = server(HttpListenerConfig.plain(LOOPBACK_ANY_PORT));
        server.route("POST", "/api/inject/v1", HttpHandler.sync(req -> HttpResponse.text(200, "got " + req.body().length)));
        InetSocketAddress bound = server.start();

        var tooBig = client.send(java.net.http.HttpRequest.newBuilder(uri(bound, "/api/inject/v1"))
                .POST(BodyPublishers.ofByteArray(new byte[2 * 1024 * 1024 + 1])).build(), BodyHandlers.ofString());
        assertThat(tooBig.statusCode()).isEqualTo(413);
    }

    @Test
    void untrustedPeerGets401ButPublicRoutesStillAnswer() throws Exception {
        HttpServer server = server(HttpListenerConfig.plain(LOOPBACK_ANY_PORT).withTrustedHosts(List.of("10.0.0.0/8", "::1")));
        server.get("/proxy/status", HttpServer.Access.PUBLIC, req -> HttpResponse.text(200, "KumoProxy OK"));
        server.get("/secret", HttpServer.Access.TRUSTED, req -> HttpResponse.text(200, "secret"));
        InetSocketAddress bound = server.start();

        var denied = get(bound, "/secret");
        assertThat(denied.statusCode()).isEqualTo(401);
        assertThat(denied.body()).doesNotContain("secret");
        assertThat(get(bound, "/proxy/status").statusCode()).isEqualTo(200);
    }

    @Test
    void keepAliveServesTwoRequestsOnOneConnection() throws Exception {
        HttpServer server = server(HttpListenerConfig.plain(LOOPBACK_ANY_PORT));
        List<Integer> peerPorts = new CopyOnWriteArrayList<>();
        server.get("/proxy/status", HttpServer.Access.PUBLIC, req -> {
            peerPorts.add(req.peer().getPort());
            return HttpResponse.text(200, "KumoProxy OK");
        });
        InetSocketAddress bound = server.start();

        assertThat(get(bound, "/proxy/status").statusCode()).isEqualTo(200);
        assertThat(get(bound, "/proxy/status").statusCode()).isEqualTo(200);
        assertThat(peerPorts).hasSize(2);
        assertThat(peerPorts.get(1)).as("second request reused the first connection").isEqualTo(peerPorts.get(0));
    }

    @Test
    void pipelinedRequestsOnARawSocketAreAnsweredInOrderAndConnectionCloseIsHonoured() throws Exception {
        HttpServer server = server(HttpListenerConfig.plain(LOOPBACK_ANY_PORT));
        var slow = Executors.newSingleThreadScheduledExecutor();
        try {
            server.get("/fast", HttpServer.Access.PUBLIC, req -> HttpResponse.text(200, "fast"));
            server.route("GET", "/slow", HttpServer.Access.PUBLIC, req -> {
                CompletableFuture<HttpResponse> later = new CompletableFuture<>();
                slow.schedule(() -> later.complete(HttpResponse.text(200, "slow")), 200, TimeUnit.MILLISECONDS);
                return later;
            });
            InetSocketAddress bound = server.start();

            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), bound.getPort())) {
                OutputStream out = socket.getOutputStream();
                out.write(("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
                        + "GET /fast HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String all = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                assertThat(all.indexOf("slow")).isPositive().isLessThan(all.indexOf("fast"));
                assertThat(all.split("HTTP/1.1 200", -1)).hasSize(3);
                // readAllBytes returned: the server closed after the "Connection: close" request.
            }
        } finally {
            slow.shutdownNow();
        }
    }

    @Test
    void failingHandlerGives500AndConnectionStaysUsable() throws Exception {
        HttpServer server = server(HttpListenerConfig.plain(LOOPBACK_ANY_PORT));
        server.get("/boom", HttpServer.Access.PUBLIC, req -> {
            throw new IllegalStateException("boom");
        });
        server.route("GET", "/async-boom", HttpServer.Access.PUBLIC,
                req -> CompletableFuture.failedFuture(new IllegalStateException("late boom")));
        server.get("/ok", HttpServer.Access.PUBLIC, req -> HttpResponse.text(200, "ok"));
        InetSocketAddress bound = server.start();

        assertThat(get(bound, "/boom").statusCode()).isEqualTo(500);
        assertThat(get(bound, "/async-boom").statusCode()).isEqualTo(500);
        assertThat(get(bound, "/ok").statusCode()).isEqualTo(200);
    }

    @Test
    void bindingAnAddressInUseFailsWithTheAddress() {
        HttpServer first = server(HttpListenerConfig.plain(LOOPBACK_ANY_PORT));
        InetSocketAddress bound = first.start();
        HttpServer second = server(HttpListenerConfig.plain(bound));

        assertThatThrownBy(second::start).isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("127.0.0.1:" + bound.getPort());
    }

    @Test
    void stopClosesTheListener() throws Exception {
        HttpServer server = server(HttpListenerConfig.plain(LOOPBACK_ANY_PORT));
        server.get("/ok", HttpServer.Access.PUBLIC, req -> HttpResponse.text(200, "ok"));
        InetSocketAddress bound = server.start();
        assertThat(get(bound, "/ok").statusCode()).isEqualTo(200);

        server.stop();

        assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), bound.getPort()).close())
                .isInstanceOf(java.net.ConnectException.class);
    }

    @Test
    void servesHttpsWithTheCallersContext() throws Exception {
        SelfSignedCertificate cert = new SelfSignedCertificate("localhost");
        try {
            SslContext ssl = SslContextBuilder.forServer(cert.certificate(), cert.privateKey()).build();
            HttpServer server = server(HttpListenerConfig.plain(LOOPBACK_ANY_PORT).withTls(ssl));
            server.get("/proxy/status", HttpServer.Access.PUBLIC, req -> HttpResponse.text(200, "KumoProxy OK"));
            InetSocketAddress bound = server.start();

            SSLContext trustAll = SSLContext.getInstance("TLS");
            trustAll.init(null, new TrustManager[] {new X509TrustManager() {
                public void checkClientTrusted(X509Certificate[] chain, String authType) {}
                public void checkServerTrusted(X509Certificate[] chain, String authType) {}
                public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
            }}, null);
            try (SSLSocket socket = (SSLSocket) trustAll.getSocketFactory().createSocket("127.0.0.1", bound.getPort())) {
                socket.getOutputStream().write("GET /proxy/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                var reader = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
                assertThat(reader.readLine()).isEqualTo("HTTP/1.1 200 OK");
                assertThat(reader.lines().toList()).contains("KumoProxy OK");
            }
        } finally {
            cert.delete();
        }
    }

    @Test
    void tlsWithoutContextIsRejectedAtConfigTime() {
        assertThatThrownBy(() -> new HttpListenerConfig(LOOPBACK_ANY_PORT, "h", true, null, null, 10))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HttpListenerConfig.plain(LOOPBACK_ANY_PORT).withTrustedHosts(List.of("example.com")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
