package dev.sluice.egress.nats;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.net.Transports;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A NATS client connection on Netty, speaking the text protocol: the server's {@code INFO}, our {@code CONNECT}
 * (name, credentials, {@code headers} and {@code no_responders}) and {@code PING}, its {@code PONG}; then
 * {@code PUB}/{@code HPUB}, and for JetStream acknowledgements one {@code SUB} on an inbox whose replies
 * complete the waiting publications. The server's {@code PING}s are answered. Every failure names the server.
 * No reconnection: a lost connection fails what is pending and every later publication.
 */
public final class NatsClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ACK_SID = "1";

    private final Channel channel;
    private final String server;
    private final NatsOptions options;
    private final Handler handler;
    private final String inbox;
    private final AtomicBoolean subscribed = new AtomicBoolean();
    private final AtomicLong replies = new AtomicLong();

    private NatsClient(Channel channel, String server, NatsOptions options, Handler handler) {
        this.channel = channel;
        this.server = server;
        this.options = options;
        this.handler = handler;
        this.inbox = options.inboxPrefix() + "." + UUID.randomUUID().toString().replace("-", "");
    }

    /**
     * Connects to the first of {@code options.servers()} that completes the handshake, trying them in order.
     * Fails with {@link NatsException} listing each server and why it failed.
     */
    public static CompletableFuture<NatsClient> connect(EventLoopGroup group, NatsOptions options) {
        CompletableFuture<NatsClient> result = new CompletableFuture<>();
        tryServer(group, options, 0, new ArrayList<>(), result);
        return result;
    }

    private static void tryServer(EventLoopGroup group, NatsOptions options, int index, List<String> failures,
                                  CompletableFuture<NatsClient> result) {
        if (index >= options.servers().size()) {
            result.completeExceptionally(new NatsException((failures.size() == 1 ? "cannot connect to NATS server "
                    : "cannot connect to any NATS server: ") + String.join("; ", failures)));
            return;
        }
        String server = options.servers().get(index);
        connectOne(group, options, server).whenComplete((client, error) -> {
            if (error == null) {
                result.complete(client);
            } else {
                Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                failures.add(server + ": " + describe(cause));
                tryServer(group, options, index + 1, failures, result);
            }
        });
    }

    private static CompletableFuture<NatsClient> connectOne(EventLoopGroup group, NatsOptions options, String server) {
        InetSocketAddress address;
        try {
            address = address(server);
        } catch (UnknownHostException | IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        Handler handler = new Handler(server, options);
        Bootstrap bootstrap = new Bootstrap().group(group)
                .channelFactory(Transports.socketChannelFactory(address.getAddress()))
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, options.connectTimeout().toMillis()))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new NatsDecoder(), handler);
                    }
                });
        ChannelFuture connecting = bootstrap.connect(address);
        Channel channel = connecting.channel();
        connecting.addListener(f -> {
            if (!f.isSuccess()) {
                handler.ready.completeExceptionally(f.cause());
                return;
            }
            var timer = channel.eventLoop().schedule(() -> {
                if (handler.ready.completeExceptionally(new NatsException("no INFO/PONG within "
                        + options.connectTimeout().toMillis() + " ms"))) {
                    channel.close();
                }
            }, options.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
            handler.ready.whenComplete((ok, e) -> timer.cancel(false));
        });
        return handler.ready.handle((ok, error) -> {
            if (error != null) {
                channel.close();
                throw new java.util.concurrent.CompletionException(error);
            }
            return new NatsClient(channel, server, options, handler);
        });
    }

    /** {@code host:port}, {@code [v6]:port}, {@code nats://host:port}; port 4222 when absent. */
    static InetSocketAddress address(String server) throws UnknownHostException {
        String s = server.strip();
        int scheme = s.indexOf("://");
        if (scheme >= 0) s = s.substring(scheme + 3);
        int at = s.lastIndexOf('@');
        if (at >= 0) s = s.substring(at + 1);
        if (s.endsWith("/")) s = s.substring(0, s.length() - 1);
        String host = s;
        int port = 4222;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) throw new IllegalArgumentException("bad NATS server address '" + server + "'");
            host = s.substring(1, close);
            if (s.length() > close + 1) {
                if (s.charAt(close + 1) != ':') throw new IllegalArgumentException("bad NATS server address '" + server + "'");
                port = parsePort(server, s.substring(close + 2));
            }
        } else if (s.indexOf(':') >= 0 && s.indexOf(':') == s.lastIndexOf(':')) {
            host = s.substring(0, s.indexOf(':'));
            port = parsePort(server, s.substring(s.indexOf(':') + 1));
        }
        if (host.isEmpty()) throw new IllegalArgumentException("bad NATS server address '" + server + "'");
        return new InetSocketAddress(InetAddress.getByName(host), port);
    }

    private static int parsePort(String server, String text) {
        try {
            int port = Integer.parseInt(text);
            if (port < 1 || port > 65535) throw new NumberFormatException();
            return port;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port in NATS server address '" + server + "'");
        }
    }

    /** The server this client is connected to, as given in the options. */
    public String server() {
        return server;
    }

    /**
     * Publishes {@code payload} on {@code subject} (with {@code headers}, in order, when there are any). With
     * {@code awaitAck}, completes with JetStream's acknowledgement; a subject no stream takes, or a stream's
     * error, fails with {@link NatsException}. Without, completes once the bytes are written.
     */
    public CompletableFuture<Optional<PubAck>> publish(String subject, byte[] payload, Map<String, String> headers,
                                                       boolean awaitAck) {
        if (subject == null || subject.isEmpty() || subject.chars().anyMatch(c -> c <= ' ')) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("NATS subject must be a non-empty word without spaces, got '" + subject + "'"));
        }
        long max = handler.maxPayload;
        if (max > 0 && payload.length > max) {
            return CompletableFuture.failedFuture(new NatsException("payload of " + payload.length
                    + " bytes is larger than the max_payload " + max + " of NATS server " + server));
        }
        if (!channel.isActive()) {
            return CompletableFuture.failedFuture(new NatsException("connection to NATS server " + server + " is closed"));
        }
        String reply = awaitAck ? inbox + "." + replies.incrementAndGet() : null;
        ByteBuf frame;
        try {
            frame = frame(subject, reply, payload, headers);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<NatsOp.Msg> ack = null;
        if (awaitAck) {
            if (subscribed.compareAndSet(false, true)) {
                channel.write(ascii("SUB " + inbox + ".* " + ACK_SID + "\r\n"));
            }
            ack = new CompletableFuture<>();
            handler.pending.put(reply, ack);
            String key = reply;
            CompletableFuture<NatsOp.Msg> waiting = ack;
            var timer = channel.eventLoop().schedule(() -> {
                if (handler.pending.remove(key) != null) {
                    waiting.completeExceptionally(new NatsException("no acknowledgement from NATS server " + server
                            + " within " + options.requestTimeout().toMillis() + " ms for subject '" + subject + "'"));
                }
            }, options.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
            ack.whenComplete((m, e) -> timer.cancel(false));
        }
        CompletableFuture<Void> written = new CompletableFuture<>();
        channel.writeAndFlush(frame).addListener(f -> {
            if (f.isSuccess()) {
                written.complete(null);
            } else {
                written.completeExceptionally(new NatsException("cannot publish to NATS server " + server + ": "
                        + describe(f.cause()), f.cause()));
            }
        });
        if (!awaitAck) {
            return written.thenApply(x -> Optional.empty());
        }
        CompletableFuture<NatsOp.Msg> acknowledged = ack;
        written.whenComplete((x, e) -> {
            if (e != null) acknowledged.completeExceptionally(e);
        });
        return acknowledged.thenApply(m -> Optional.of(pubAck(subject, m)));
    }

    private ByteBuf frame(String subject, String reply, byte[] payload, Map<String, String> headers) {
        String target = subject + (reply == null ? "" : " " + reply);
        ByteBuf out = channel.alloc().buffer(payload.length + 128);
        if (headers.isEmpty()) {
            out.writeCharSequence("PUB " + target + " " + payload.length + "\r\n", StandardCharsets.US_ASCII);
        } else {
            StringBuilder head = new StringBuilder("NATS/1.0\r\n");
            for (Map.Entry<String, String> h : headers.entrySet()) {
                if (h.getKey().isEmpty() || (h.getKey() + h.getValue()).chars().anyMatch(c -> c == '\r' || c == '\n')
                        || h.getKey().indexOf(':') >= 0) {
                    out.release();
                    throw new IllegalArgumentException("bad NATS header '" + h.getKey() + "'");
                }
                head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
            }
            byte[] headBytes = head.append("\r\n").toString().getBytes(StandardCharsets.UTF_8);
            out.writeCharSequence("HPUB " + target + " " + headBytes.length + " " + (headBytes.length + payload.length)
                    + "\r\n", StandardCharsets.US_ASCII);
            out.writeBytes(headBytes);
        }
        out.writeBytes(payload);
        out.writeCharSequence("\r\n", StandardCharsets.US_ASCII);
        return out;
    }

    private PubAck pubAck(String subject, NatsOp.Msg m) {
        if (m.status() == 503) {
            throw new java.util.concurrent.CompletionException(new NatsException("no JetStream stream takes subject '"
                    + subject + "' on NATS server " + server + " (503 no responders)"));
        }
        if (m.status() >= 400) {
            throw new java.util.concurrent.CompletionException(new NatsException("NATS server " + server + " answered "
                    + m.status() + " " + m.statusText() + " for subject '" + subject + "'"));
        }
        JsonNode json;
        try {
            json = JSON.readTree(m.payload());
        } catch (java.io.IOException e) {
            throw new java.util.concurrent.CompletionException(new NatsException("NATS server " + server
                    + " sent an acknowledgement that is not JSON: " + new String(m.payload(), StandardCharsets.UTF_8)));
        }
        if (json.has("error")) {
            JsonNode error = json.get("error");
            throw new java.util.concurrent.CompletionException(new NatsException("JetStream on NATS server " + server
                    + " refused subject '" + subject + "': " + error.path("description").asText(error.toString())
                    + " (" + error.path("code").asText("?") + ")"));
        }
        return new PubAck(json.path("stream").asText(""), json.path("seq").asLong(), json.path("domain").asText(""),
                json.path("duplicate").asBoolean(false), json.path("val").asText(""));
    }

    /** Closes the connection; pending acknowledgements fail. */
    @Override
    public void close() {
        channel.close();
    }

    public boolean isOpen() {
        return channel.isActive();
    }

    private static ByteBuf ascii(String s) {
        return io.netty.buffer.Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    }

    static String describe(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root && !(root instanceof NatsException)) root = root.getCause();
        String message = root.getMessage();
        if (message == null) return root.getClass().getSimpleName();
        // Netty's connect errors repeat the address: "Connection refused: /127.0.0.1:4222"
        int slash = message.indexOf(": /");
        return slash > 0 ? message.substring(0, slash) : message;
    }

    /** The connection's state: handshake, acknowledgements waiting, the server's PINGs. */
    private static final class Handler extends SimpleChannelInboundHandler<NatsOp> {
        final CompletableFuture<Void> ready = new CompletableFuture<>();
        final Map<String, CompletableFuture<NatsOp.Msg>> pending = new ConcurrentHashMap<>();
        final String server;
        final NatsOptions options;
        volatile long maxPayload;
        private boolean sentConnect;

        Handler(String server, NatsOptions options) {
            this.server = server;
            this.options = options;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, NatsOp op) throws Exception {
            switch (op) {
                case NatsOp.Info info -> {
                    if (info.fields().get("max_payload") instanceof Number n) maxPayload = n.longValue();
                    if (!sentConnect) {
                        sentConnect = true;
                        if (Boolean.TRUE.equals(info.fields().get("tls_required"))) {
                            ready.completeExceptionally(new NatsException("the server requires TLS, which Sluice's NATS client does not speak yet"));
                            ctx.close();
                            return;
                        }
                        ctx.writeAndFlush(ascii("CONNECT " + JSON.writeValueAsString(connect()) + "\r\nPING\r\n"));
                    }
                }
                case NatsOp.Pong pong -> ready.complete(null);
                case NatsOp.Ping ping -> ctx.writeAndFlush(ascii("PONG\r\n"));
                case NatsOp.Ok ok -> { }
                case NatsOp.Err err -> {
                    NatsException e = new NatsException("NATS server " + server + " reported an error: " + err.text());
                    if (!ready.isDone()) {
                        ready.completeExceptionally(new NatsException(err.text()));
                        ctx.close();
                    } else {
                        failPending(e);
                    }
                }
                case NatsOp.Msg msg -> {
                    CompletableFuture<NatsOp.Msg> waiting = pending.remove(msg.subject());
                    if (waiting != null) waiting.complete(msg);
                }
            }
        }

        private Map<String, Object> connect() {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("verbose", false);
            c.put("pedantic", false);
            c.put("tls_required", false);
            if (options.name() != null) c.put("name", options.name());
            c.put("lang", "java");
            c.put("version", "sluice");
            c.put("protocol", 1);
            c.put("echo", options.echo());
            c.put("headers", true);
            c.put("no_responders", true);
            if (options.user() != null) {
                c.put("user", options.user());
                c.put("pass", options.password());
            }
            if (options.token() != null) c.put("auth_token", options.token());
            return c;
        }

        private void failPending(Throwable e) {
            for (String key : List.copyOf(pending.keySet())) {
                CompletableFuture<NatsOp.Msg> f = pending.remove(key);
                if (f != null) f.completeExceptionally(e);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            NatsException closed = new NatsException("connection to NATS server " + server + " closed");
            ready.completeExceptionally(new NatsException("connection closed during the handshake"));
            failPending(closed);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ready.completeExceptionally(cause);
            failPending(new NatsException("connection to NATS server " + server + " failed: " + describe(cause), cause));
            ctx.close();
        }
    }
}
