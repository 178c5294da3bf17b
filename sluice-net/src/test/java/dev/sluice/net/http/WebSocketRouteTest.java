package dev.sluice.net.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import dev.sluice.testkit.WebSocketTexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Websocket routes of the HTTP server, driven by the JDK's own websocket client. */
class WebSocketRouteTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private final HttpClient client = HttpClient.newHttpClient();
    private HttpServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop();
        }
        client.close();
    }

    private URI uri(InetSocketAddress bound, String path) {
        return URI.create("ws://127.0.0.1:" + bound.getPort() + path);
    }

    @Test
    void anEndpointGetsTheSessionAndBothSidesTalk() throws Exception {
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        CountDownLatch serverSawClose = new CountDownLatch(1);
        server = new HttpServer(HttpListenerConfig.plain(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
        server.webSocket("/events", HttpServer.Access.PUBLIC, new WebSocketEndpoint() {
            @Override
            public void onOpen(WebSocketSession session) {
                session.send("{\"hello\":1}");
            }

            @Override
            public void onText(WebSocketSession session, String text) {
                received.add(text);
                session.send("echo " + text);
            }

            @Override
            public void onClose(WebSocketSession session) {
                serverSawClose.countDown();
            }
        });
        server.get("/plain", HttpServer.Access.PUBLIC, r -> HttpResponse.text(200, "still HTTP"));
        InetSocketAddress bound = server.start();

        WebSocketTexts listener = new WebSocketTexts();
        WebSocket ws = client.newWebSocketBuilder().buildAsync(uri(bound, "/events"), listener).join();
        assertThat(listener.next(WAIT)).isEqualTo("{\"hello\":1}");
        ws.sendText("ping me", true).join();
        assertThat(received.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("ping me");
        assertThat(listener.next(WAIT)).isEqualTo("echo ping me");
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
        assertThat(serverSawClose.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();

        // the other routes of the listener still answer HTTP
        var plain = client.send(java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + bound.getPort() + "/plain"))
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(plain.body()).isEqualTo("still HTTP");
    }

    @Test
    void aTrustedRouteRefusesAnUntrustedPeerBeforeTheHandshake() {
        server = new HttpServer(HttpListenerConfig.plain(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .withTrustedHosts(List.of("10.99.0.0/16")));
        server.webSocket("/events", HttpServer.Access.TRUSTED, session -> session.send("secret"));
        InetSocketAddress bound = server.start();
        assertThatThrownBy(() -> client.newWebSocketBuilder().buildAsync(uri(bound, "/events"), new WebSocketTexts()).join())
                .isInstanceOf(CompletionException.class).hasStackTraceContaining("status code 401");
    }
}
