package dev.sluice.policy.kumo.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.net.Tls;
import dev.sluice.net.http.HttpListenerConfig;
import dev.sluice.net.http.HttpResponse;
import dev.sluice.net.http.HttpServer;
import dev.sluice.net.http.WebSocketEndpoint;
import dev.sluice.net.http.WebSocketSession;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.PolicyOptions;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kumo.http.connect_websocket against sluice-net's websocket server on loopback (plain and TLS with a self-signed
 * certificate): the stream's recv and recv_batch, the upgrade response, a refused upgrade, the call's time limit, and a
 * kumo.spawn_task task reading the stream until the policy stops.
 */
class WebSocketTest {
    private static final long WAIT_SECONDS = 30;

    @TempDir
    Path dir;

    private HttpServer server;
    private HttpServer tlsServer;
    private String ws;
    private String wss;
    /** The sessions the server opened, and those it saw end. */
    private final BlockingQueue<WebSocketSession> opened = new LinkedBlockingQueue<>();
    private final BlockingQueue<WebSocketSession> ended = new LinkedBlockingQueue<>();
    /** What the /greet route sends as soon as a client connects. */
    private volatile List<String> greeting = List.of();

    @BeforeEach
    void start() throws Exception {
        server = new HttpServer(HttpListenerConfig.plain(new InetSocketAddress("127.0.0.1", 0)));
        routes(server);
        ws = "ws://127.0.0.1:" + server.start().getPort();
        tlsServer = new HttpServer(new HttpListenerConfig(new InetSocketAddress("127.0.0.1", 0), "localhost", true,
                Tls.selfSignedServerContext("localhost"), null, HttpListenerConfig.DEFAULT_REQUEST_BODY_LIMIT));
        routes(tlsServer);
        wss = "wss://127.0.0.1:" + tlsServer.start().getPort();
    }

    private void routes(HttpServer s) {
        s.webSocket("/greet", HttpServer.Access.PUBLIC, new WebSocketEndpoint() {
            @Override
            public void onOpen(WebSocketSession session) {
                greeting.forEach(session::send);
                opened.add(session);
            }

            @Override
            public void onClose(WebSocketSession session) {
                ended.add(session);
            }
        });
        s.get("/plain", HttpServer.Access.PUBLIC, r -> HttpResponse.text(200, "not a websocket"));
    }

    @AfterEach
    void stop() {
        server.stop();
        tlsServer.stop();
    }

    private Policy load(Duration callTimeout, String... lines) throws Exception {
        Path file = dir.resolve("policy.lua");
        String[] all = new String[lines.length + 1];
        all[0] = "local WS, WSS = '" + ws + "', '" + wss + "'";
        System.arraycopy(lines, 0, all, 1, lines.length);
        Files.writeString(file, String.join("\n", all) + "\n");
        return Policy.load(new PolicyOptions(file, 1, List.of(), null, callTimeout));
    }

    private WebSocketSession nextSession() throws InterruptedException {
        WebSocketSession s = opened.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        assertThat(s).as("the server saw the websocket open").isNotNull();
        return s;
    }

    @Test
    void recvReturnsEachMessageInOrderAndTheUpgradeResponseComesSecond() throws Exception {
        greeting = List.of("{\"n\":1}", "second");
        try (Policy policy = load(Duration.ofSeconds(60),
                "kumo.on('test', function()",
                "  local stream, response = kumo.http.connect_websocket(WS .. '/greet')",
                "  return table.concat({ response:status_code(), response:status_reason(),",
                "    response:headers()['Upgrade'], kumo.json_parse(stream:recv()).n, stream:recv() }, ' ')",
                "end)")) {
            assertThat(policy.call("test")).isEqualTo("101 Switching Protocols websocket 1 second");
        }
    }

    @Test
    void recvGivesNilOnceTheServerClosesAndCloseEndsTheConnection() throws Exception {
        try (Policy policy = load(Duration.ofSeconds(60),
                "kumo.on('open', function()",
                "  local ok, stream, response = pcall(kumo.http.connect_websocket, WS .. '/greet')", // as shaping calls it
                "  S = stream",
                "  return tostring(ok) .. ' ' .. response:status_code()",
                "end)",
                "kumo.on('recv', function() return tostring(S:recv()) end)",
                "kumo.on('close', function() S:close() end)")) {
            assertThat(policy.call("open")).isEqualTo("true 101");
            WebSocketSession first = nextSession();
            first.close();
            assertThat(policy.call("recv")).isEqualTo("nil");
            assertThat(policy.call("recv")).isEqualTo("nil");

            policy.call("open");
            WebSocketSession second = nextSession();
            assertThat(ended.poll(WAIT_SECONDS, TimeUnit.SECONDS)).isSameAs(first);
            policy.call("close");
            assertThat(ended.poll(WAIT_SECONDS, TimeUnit.SECONDS)).as("the server saw the policy close it").isSameAs(second);
            assertThat(policy.call("recv")).isEqualTo("nil");
        }
    }

    /**
     * A hand-written websocket server (one connection): right behind its 101 answer, in the same write, a ping, a
     * text message in two fragments and a binary message; then it reads the client's pong and closes.
     */
    @Test
    void pingsAreAnsweredFragmentsJoinedAndBinaryMessagesComeAsBytes() throws Exception {
        BlockingQueue<String> serverSaw = new LinkedBlockingQueue<>();
        try (java.net.ServerSocket listener = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Thread peer = Thread.ofPlatform().daemon().start(() -> {
                try (java.net.Socket s = listener.accept()) {
                    var in = new java.io.DataInputStream(s.getInputStream());
                    var out = s.getOutputStream();
                    String key = null;
                    for (String line; !(line = readLine(in)).isEmpty(); ) {
                        if (line.toLowerCase(java.util.Locale.ROOT).startsWith("sec-websocket-key:")) {
                            key = line.substring(line.indexOf(':') + 1).strip();
                        }
                    }
                    String accept = java.util.Base64.getEncoder().encodeToString(java.security.MessageDigest
                            .getInstance("SHA-1").digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
                                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
                    var all = new java.io.ByteArrayOutputStream();
                    all.writeBytes(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            + "Sec-WebSocket-Accept: " + accept + "\r\nX-Hello: there\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    // the frames in the same write as the 101: the ping is read before the 101's handling is over
                    all.writeBytes(frame(0x89, "p1".getBytes())); // ping
                    all.writeBytes(frame(0x01, "hel".getBytes())); // text, not final
                    all.writeBytes(frame(0x80, "lo".getBytes())); // final continuation
                    all.writeBytes(frame(0x82, new byte[] {0, 1, (byte) 0xFF})); // binary
                    out.write(all.toByteArray());
                    out.flush();
                    int opcode = in.readUnsignedByte() & 0x0F;
                    int length = in.readUnsignedByte() & 0x7F; // masked, short
                    byte[] mask = in.readNBytes(4);
                    byte[] payload = in.readNBytes(length);
                    for (int i = 0; i < payload.length; i++) {
                        payload[i] ^= mask[i % 4];
                    }
                    serverSaw.add(opcode + " " + new String(payload));
                    out.write(frame(0x88, new byte[] {0x03, (byte) 0xE8})); // close, 1000
                    out.flush();
                    serverSaw.add("close answered: " + ((in.readUnsignedByte() & 0x0F) == 8));
                } catch (Exception e) {
                    serverSaw.add("server failed: " + e);
                }
            });
            ws = "ws://127.0.0.1:" + listener.getLocalPort();
            try (Policy policy = load(Duration.ofSeconds(60),
                    "kumo.on('test', function()",
                    "  local stream, response = kumo.http.connect_websocket(WS .. '/raw')",
                    "  local text, binary = stream:recv(), stream:recv()",
                    "  return table.concat({ response:headers()['x-hello'], text, #binary,",
                    "    table.concat({ binary:byte(1, -1) }, ','), tostring(stream:recv()) }, ' ')",
                    "end)")) {
                assertThat(policy.call("test")).isEqualTo("there hello 3 0,1,255 nil");
            }
            assertThat(serverSaw.poll(WAIT_SECONDS, TimeUnit.SECONDS)).isEqualTo("10 p1"); // a pong, same payload
            assertThat(serverSaw.poll(WAIT_SECONDS, TimeUnit.SECONDS)).isEqualTo("close answered: true");
            peer.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
        }
    }

    private static String readLine(java.io.DataInputStream in) throws java.io.IOException {
        StringBuilder b = new StringBuilder();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) {
                throw new java.io.EOFException();
            }
            if (c != '\r') {
                b.append((char) c);
            }
        }
        return b.toString();
    }

    /** An unmasked server frame with a short payload; {@code head} is FIN and the opcode. */
    private static byte[] frame(int head, byte[] payload) {
        byte[] f = new byte[2 + payload.length];
        f[0] = (byte) head;
        f[1] = (byte) payload.length;
        System.arraycopy(payload, 0, f, 2, payload.length);
        return f;
    }

    @Test
    void aServerFasterThanThePolicyWaitsOnFlowControlAndNothingIsLost() throws Exception {
        int count = 30_000;
        try (Policy policy = load(Duration.ofSeconds(60),
                "kumo.on('open', function() S = kumo.http.connect_websocket(WS .. '/greet') end)",
                "kumo.on('drain', function(count)",
                "  local n = 0",
                "  for _ = 1, 5000 do",
                "    for _, m in ipairs(S:recv_batch '20ms') do",
                "      if tonumber(m:sub(1, 8)) ~= n then error('got ' .. m:sub(1, 8) .. ' for ' .. n) end",
                "      n = n + 1",
                "    end",
                "    if n == count then break end",
                "  end",
                "  return n",
                "end)")) {
            policy.call("open");
            WebSocketSession session = nextSession();
            String pad = "x".repeat(1024);
            List<io.netty.util.concurrent.Future<Void>> sent = new java.util.ArrayList<>();
            for (int i = 0; i < count; i++) {
                sent.add(session.send(String.format("%08d", i) + pad));
            }
            Thread.sleep(1000);
            long written = sent.stream().filter(io.netty.util.concurrent.Future::isDone).count();
            // the client stopped reading once enough was waiting: the rest stays with the server
            assertThat(written).isLessThan(count);
            assertThat(policy.call("drain", (long) count)).isEqualTo((long) count);
            assertThat(sent.getLast().await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
            assertThat(sent).allMatch(io.netty.util.concurrent.Future::isSuccess);
        }
    }

    @Test
    void recvBatchWaitsItsWindowThenReturnsWhatCameEmptyWhenNothingDidAndFailsOnceClosed() throws Exception {
        try (Policy policy = load(Duration.ofSeconds(60),
                "kumo.on('open', function() S = kumo.http.connect_websocket(WS .. '/greet') end)",
                "kumo.on('batch', function(window)",
                "  local batch = S:recv_batch(window)",
                "  return #batch .. ':' .. table.concat(batch, ',')",
                "end)")) {
            policy.call("open");
            WebSocketSession session = nextSession();
            session.send("a").sync();
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    Thread.sleep(300);
                    session.send("b");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            long start = System.nanoTime();
            // the whole window, not just until the first message
            assertThat(policy.call("batch", "1s")).isEqualTo("2:a,b");
            assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(1000));

            start = System.nanoTime();
            assertThat(policy.call("batch", 0.3)).isEqualTo("0:");
            assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(300));

            session.send("c").sync();
            session.close();
            assertThat(ended.poll(WAIT_SECONDS, TimeUnit.SECONDS)).isSameAs(session);
            start = System.nanoTime();
            // the close ends the window early; what came before it is still delivered, then the error
            assertThat(policy.call("batch", "20s")).isEqualTo("1:c");
            assertThatThrownBy(() -> policy.call("batch", "20s"))
                    .isInstanceOf(PolicyException.class)
                    .hasMessage(dir.resolve("policy.lua") + ":4: websocket closed: the server closed it");
            assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(10));
        }
    }

    @Test
    void aRefusedUpgradeRaisesHttpErrorWithStatusAndReason() throws Exception {
        try (Policy policy = load(Duration.ofSeconds(60),
                "kumo.on('test', function(path)",
                "  local ok, err = pcall(kumo.http.connect_websocket, WS .. path)",
                "  assert(not ok)",
                "  return tostring(err)",
                "end)",
                "kumo.on('direct', function() return kumo.http.connect_websocket('http://127.0.0.1/greet') end)")) {
            // the text KumoMTA's shaping helper looks for before it falls back to the legacy endpoint
            assertThat(policy.call("test", "/subscribe_event_v1"))
                    .isEqualTo("error sending request for url (" + ws + "/subscribe_event_v1): HTTP error: 404 Not Found");
            // an ordinary HTTP route does not upgrade either
            assertThat(policy.call("test", "/plain")).asString().contains("HTTP error: 200 OK");
            assertThatThrownBy(() -> policy.call("direct"))
                    .hasMessage(dir.resolve("policy.lua") + ":7: kumo.http.connect_websocket: invalid URL"
                            + " 'http://127.0.0.1/greet': the scheme must be ws or wss");
        }
    }

    @Test
    void wssChecksTheServerCertificateUnlessToldToAcceptInvalidOnes() throws Exception {
        greeting = List.of("over tls");
        try (Policy policy = load(Duration.ofSeconds(60),
                "kumo.on('insecure', function()",
                "  local stream, response = kumo.http.connect_websocket(WSS .. '/greet', { accept_invalid_certs = true })",
                "  return response:status_code() .. ' ' .. stream:recv()",
                "end)",
                "kumo.on('checked', function() return kumo.http.connect_websocket(WSS .. '/greet') end)")) {
            assertThat(policy.call("insecure")).isEqualTo("101 over tls");
            assertThatThrownBy(() -> policy.call("checked"))
                    .hasMessageStartingWith(dir.resolve("policy.lua") + ":6: error sending request for url (" + wss
                            + "/greet): TLS handshake with 127.0.0.1:" + wss.substring(wss.lastIndexOf(':') + 1) + " failed");
        }
    }

    @Test
    void inAnEventWaitingForMessagesEndsAtTheCallsTimeLimit() throws Exception {
        try (Policy policy = load(Duration.ofMillis(500),
                "kumo.on('open', function() S = kumo.http.connect_websocket(WS .. '/greet') end)",
                "kumo.on('recv', function() return S:recv() end)",
                "kumo.on('batch', function() return S:recv_batch('30s') end)",
                "kumo.on('ok', function() return 'fine' end)")) {
            policy.call("open");
            WebSocketSession session = nextSession();
            String file = dir.resolve("policy.lua").toString();
            long start = System.nanoTime();
            assertThatThrownBy(() -> policy.call("recv"))
                    .hasMessage(file + ":3: policy call exceeded 0.5 s waiting for a websocket message"
                            + " (read a websocket in a task: kumo.spawn_task)")
                    .matches(e -> ((PolicyException) e).timedOut());
            assertThatThrownBy(() -> policy.call("batch"))
                    .hasMessageStartingWith(file + ":4: policy call exceeded 0.5 s waiting for a websocket message")
                    .matches(e -> ((PolicyException) e).timedOut());
            assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(10));
            assertThat(policy.call("ok")).isEqualTo("fine"); // the one state was kept
            // the stream is still usable: a message sent now is received by the next call
            session.send("late").sync();
            assertThat(policy.call("recv")).isEqualTo("late");
        }
    }

    @Test
    void aTaskReadsBatchesLongerThanTheCallLimitUntilThePolicyStops() throws Exception {
        Policy policy = load(Duration.ofMillis(500),
                "kumo.on('init', function() kumo.spawn_task { event_name = 'subscriber', args = WS .. '/greet' } end)",
                "kumo.on('subscriber', function(url)",
                "  local stream = kumo.http.connect_websocket(url)",
                "  local got = kumo.mpsc.define 'got'",
                "  while true do",
                "    local batch = stream:recv_batch '800ms'", // longer than the 0.5 s limit of an event
                "    got:send(#batch .. ':' .. table.concat(batch, ','))",
                "  end",
                "end)",
                "kumo.on('poll', function() return kumo.mpsc.define('got'):try_recv() end)");
        try {
            policy.runOnce("init");
            policy.startBackground();
            WebSocketSession session = nextSession();
            session.send("x").sync();
            session.send("y").sync();
            // batches come every 0.8 s (empty ones too); collect until both messages are in
            List<String> got = new java.util.ArrayList<>();
            int batches = 0;
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
            while (got.size() < 2 && System.nanoTime() - end < 0) {
                if (policy.call("poll") instanceof String batch) {
                    batches++;
                    String list = batch.substring(batch.indexOf(':') + 1);
                    if (!list.isEmpty()) {
                        got.addAll(List.of(list.split(",")));
                    }
                } else {
                    Thread.sleep(20);
                }
            }
            assertThat(got).containsExactly("x", "y");
            assertThat(batches).isPositive();
            assertThat(policy.runningTasks()).isEqualTo(1);
        } finally {
            policy.close(Duration.ofSeconds(WAIT_SECONDS));
        }
        assertThat(policy.runningTasks()).isZero();
        // the task's connection went with it
        assertThat(ended.poll(WAIT_SECONDS, TimeUnit.SECONDS)).as("the server saw the websocket close").isNotNull();
    }
}
