package dev.sluice.policy.kumo.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A websocket client connection (RFC 6455 on Netty's websocket codec), what {@code kumo.http.connect_websocket}
 * returns to Lua. The socket lives on the event loop of the HTTP clients ({@link HttpClient#open}, which also does
 * TLS for {@code wss}); messages the server sends are kept here until the policy takes them with {@link #next} or
 * {@link #drain}, which block the calling Lua thread (never an event loop). Past {@link #HIGH_WATER} unread messages
 * reading from the socket pauses, so a server that sends faster than the policy reads waits on TCP flow control
 * instead of filling memory. Pings are answered; a close frame from the server is answered and ends the stream.
 * Thread-safe.
 */
final class WebSocketStream {
    /** Largest frame and largest (reassembled) message taken; a larger one ends the stream with an error. */
    static final int MAX_FRAME_BYTES = 16 * 1024 * 1024;
    static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
    /** Largest handshake response (a refusal may carry a body) taken. */
    private static final int MAX_HANDSHAKE_BYTES = 1024 * 1024;
    static final int HIGH_WATER = 1024;
    private static final int LOW_WATER = HIGH_WATER / 4;

    /** Something the server sent, or the end of the stream. */
    sealed interface Received {}

    /** A text message. */
    record Text(String text) implements Received {}

    /** A binary message. */
    record Binary(byte[] bytes) implements Received {}

    /**
     * The stream is over: {@code failed} is false for a closing handshake (by the server, or {@link #close}), true
     * for an error or a connection lost without one; {@code reason} says which.
     */
    record Ended(String reason, boolean failed) implements Received {}

    /** The stream and the server's answer to the upgrade request (status 101, its headers). */
    record Connected(WebSocketStream stream, HttpClient.Reply response) {}

    private final Channel channel;
    private final ArrayDeque<Received> inbox = new ArrayDeque<>(); // guarded by this; Text and Binary only
    private Ended ended; // guarded by this; null while open

    private WebSocketStream(Channel channel) {
        this.channel = channel;
    }

    /**
     * Connects to a {@code ws://} or {@code wss://} URL and does the websocket handshake, all within
     * {@code timeout} and never past the running policy call's limit.
     *
     * @throws HttpClient.HttpException no websocket: DNS, connect, TLS, timeout, or the server refused the upgrade
     *                                  ({@code HTTP error: 404 Not Found})
     */
    static Connected connect(URI uri, boolean acceptInvalidCerts, Duration timeout)
            throws HttpClient.HttpException, InterruptedException {
        HttpClient.notOnEventLoop("connect_websocket()");
        HttpClient.Deadline deadline = HttpClient.Deadline.after(timeout);
        WebSocketClientHandshaker handshaker = WebSocketClientHandshakerFactory.newHandshaker(uri,
                WebSocketVersion.V13, null, false, new DefaultHttpHeaders(), MAX_FRAME_BYTES, true, false, 10_000,
                false, false);
        CompletableFuture<HttpClient.Reply> upgraded = new CompletableFuture<>();
        WebSocketStream[] stream = new WebSocketStream[1];
        Channel ch = HttpClient.open(uri, HttpClient.Target.of(uri), HttpClient.tls(acceptInvalidCerts), p -> {
            p.addLast("codec", new HttpClientCodec());
            p.addLast("aggregate", new HttpObjectAggregator(MAX_HANDSHAKE_BYTES));
            stream[0] = new WebSocketStream(p.channel());
            p.addLast("websocket", stream[0].new Handler(handshaker, upgraded));
        }, deadline.nanos());
        // On the event loop: the handshaker adds its frame encoder from a listener of the request's write, which
        // must run before the 101 is read. From another thread the write may complete before the listener is added,
        // and the listener then runs as a later task, after a fast server's 101 and pings: pongs went out unencoded.
        ch.eventLoop().execute(() -> handshaker.handshake(ch).addListener(f -> {
            if (!f.isSuccess()) {
                upgraded.completeExceptionally(f.cause());
            }
        }));
        try {
            HttpClient.Reply response = upgraded.get(Math.max(0, deadline.nanos() - System.nanoTime()), TimeUnit.NANOSECONDS);
            return new Connected(stream[0], response);
        } catch (TimeoutException e) {
            ch.close();
            throw new HttpClient.HttpException(uri, deadline.timedOut(), null);
        } catch (ExecutionException e) {
            ch.close();
            throw new HttpClient.HttpException(uri, HttpClient.reason(e.getCause()), e.getCause());
        } catch (InterruptedException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * The next message, waiting for it until {@code deadline} ({@link System#nanoTime}, or {@link Long#MAX_VALUE}
     * for no limit): a {@link Text}, a {@link Binary}, the {@link Ended} stream once every message is taken, or null
     * when the deadline passed first.
     */
    synchronized Received next(long deadline) throws InterruptedException {
        while (inbox.isEmpty() && ended == null) {
            if (!waitUntil(deadline)) {
                return null;
            }
        }
        Received r = inbox.isEmpty() ? ended : inbox.poll();
        resumeReading();
        return r;
    }

    /** Waits until {@code deadline} or the end of the stream, whichever comes first. */
    synchronized void awaitEnd(long deadline) throws InterruptedException {
        while (ended == null && waitUntil(deadline)) {
            // woken by a message or the end
        }
    }

    /** Every message not taken yet, in order (empty when there is none). */
    synchronized List<Received> drain() {
        List<Received> all = new ArrayList<>(inbox);
        inbox.clear();
        resumeReading();
        return all;
    }

    /** How the stream ended, or null while it is open. */
    synchronized Ended ended() {
        return ended;
    }

    /** Ends the stream with a normal closing handshake; messages not taken yet are dropped. */
    void close() {
        synchronized (this) {
            inbox.clear();
            if (ended == null) {
                ended = new Ended("closed by the policy", false);
            }
            notifyAll();
        }
        if (channel.isActive()) {
            channel.writeAndFlush(new CloseWebSocketFrame()).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Waits for a change until {@code deadline}; false once the deadline has passed. Holds the monitor. */
    private boolean waitUntil(long deadline) throws InterruptedException {
        if (deadline == Long.MAX_VALUE) {
            wait();
            return true;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            return false;
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
        return true;
    }

    private void resumeReading() {
        if (inbox.size() <= LOW_WATER && !channel.config().isAutoRead()) {
            channel.config().setAutoRead(true);
        }
    }

    private synchronized void received(Received message) {
        if (ended != null) {
            return; // closed by the policy: nobody reads
        }
        inbox.add(message);
        if (inbox.size() >= HIGH_WATER) {
            channel.config().setAutoRead(false);
        }
        notifyAll();
    }

    private synchronized void end(Ended how) {
        if (ended == null) {
            ended = how;
        }
        notifyAll();
    }

    /** On the event loop: the handshake, then the frames. */
    private final class Handler extends SimpleChannelInboundHandler<Object> {
        private final WebSocketClientHandshaker handshaker;
        private final CompletableFuture<HttpClient.Reply> upgraded;

        Handler(WebSocketClientHandshaker handshaker, CompletableFuture<HttpClient.Reply> upgraded) {
            this.handshaker = handshaker;
            this.upgraded = upgraded;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
            if (!handshaker.isHandshakeComplete()) {
                if (msg instanceof FullHttpResponse response) {
                    upgrade(ctx, response);
                }
                return;
            }
            switch (msg) {
                case TextWebSocketFrame text -> received(new Text(text.text()));
                case BinaryWebSocketFrame binary -> received(new Binary(ByteBufUtil.getBytes(binary.content())));
                case PingWebSocketFrame ping -> ctx.writeAndFlush(new PongWebSocketFrame(ping.content().retain()));
                // bytes that came in the same read as the 101, which the HTTP decoder passed on as they were:
                // they are frames, so they go through the pipeline again, now decoded by the websocket decoder
                case ByteBuf raw when raw.isReadable() -> ctx.pipeline().fireChannelRead(raw.retain());
                case CloseWebSocketFrame close -> {
                    end(new Ended("the server closed it" + describe(close), false));
                    ctx.writeAndFlush(new CloseWebSocketFrame(true, 0, close.content().retain()))
                            .addListener(ChannelFutureListener.CLOSE);
                }
                default -> { } // pongs: this side sends no pings
            }
        }

        private void upgrade(ChannelHandlerContext ctx, FullHttpResponse response) {
            int status = response.status().code();
            if (status != 101) {
                String phrase = LuaHttpResponse.reason(status);
                upgraded.completeExceptionally(new IOException("HTTP error: " + status + " "
                        + (phrase != null ? phrase : response.status().reasonPhrase())));
                ctx.close();
                return;
            }
            try {
                handshaker.finishHandshake(ctx.channel(), response);
            } catch (WebSocketHandshakeException e) {
                upgraded.completeExceptionally(new IOException("websocket handshake failed: " + e.getMessage(), e));
                ctx.close();
                return;
            }
            ctx.pipeline().addBefore(ctx.name(), "websocket-aggregate", new WebSocketFrameAggregator(MAX_MESSAGE_BYTES));
            List<Map.Entry<String, String>> headers = new ArrayList<>();
            response.headers().forEach(h -> headers.add(Map.entry(h.getKey().toLowerCase(Locale.ROOT), h.getValue())));
            upgraded.complete(new HttpClient.Reply(status, headers, ByteBufUtil.getBytes(response.content())));
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            upgraded.completeExceptionally(new IOException("connection closed before a complete response"));
            end(new Ended("the connection was lost without a closing handshake", true));
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            upgraded.completeExceptionally(cause);
            end(new Ended(HttpClient.reason(cause), true));
            ctx.close();
        }
    }

    private static String describe(CloseWebSocketFrame close) {
        int code = close.statusCode();
        if (code < 0) {
            return "";
        }
        String text = close.reasonText();
        return " (" + code + (text == null || text.isEmpty() ? "" : " " + text) + ")";
    }
}
