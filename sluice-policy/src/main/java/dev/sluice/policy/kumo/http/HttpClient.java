package dev.sluice.policy.kumo.http;

import dev.sluice.net.IpLiterals;
import dev.sluice.policy.CallDeadline;
import dev.sluice.net.Transports;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pooled HTTP/1.1 client on Netty, what {@code kumo.http.build_client} returns to Lua. Connections are kept per
 * (scheme, host, port) while the server allows keep-alive, and closed after {@code pool_idle_timeout} unused.
 *
 * <p>{@link #send} blocks its caller until the whole response is there or the request's timeout passes (or the
 * running policy call's limit, {@link CallDeadline}, if that comes first); it is meant for Lua policy threads and
 * must never be called on a Netty event loop. The sockets live on one event loop
 * group shared by every client of the process (daemon threads, started at the first request).
 */
public final class HttpClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpClient.class);
    /** Largest response body taken; a larger one fails the request rather than exhausting memory. */
    static final int MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
    static final int MAX_REDIRECTS = 10;
    private static final java.util.Set<Integer> REDIRECTS = java.util.Set.of(301, 302, 303, 307, 308);
    /** Headers not sent on to another host. */
    private static final java.util.Set<String> SENSITIVE = java.util.Set.of("authorization", "cookie", "proxy-authorization",
            "www-authenticate");
    /** Headers that describe a body, dropped when a redirect turns the request into a GET. */
    private static final java.util.Set<String> BODY_HEADERS = java.util.Set.of("content-type", "content-length",
            "content-encoding");
    /** Time left to the policy call after a request it cut short, for the Lua code to handle the error. */
    private static final long CALL_MARGIN_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    /** One request as the Lua Request object built it. Header names keep their spelling. */
    public record Request(String method, URI uri, List<Map.Entry<String, String>> headers, byte[] body,
                          Duration timeout) {
        public Request {
            headers = List.copyOf(headers);
            body = body == null ? new byte[0] : body;
        }
    }

    /** The whole response: status, header fields in order (names in lower case), body. */
    public record Reply(int status, List<Map.Entry<String, String>> headers, byte[] body) {
        public Reply {
            headers = List.copyOf(headers);
        }
    }

    /** A request that got no HTTP response; the message names the URL and the reason. */
    public static final class HttpException extends IOException {
        HttpException(URI uri, String reason, Throwable cause) {
            super("error sending request for url (" + uri + "): " + reason, cause);
        }
    }

    /**
     * Idle keep-alive connections per client options, then per target: shared by every client built with the same
     * options, so a policy that builds a client for each message (a custom_lua constructor does) still reuses them.
     */
    private static final Map<HttpClientOptions, Map<String, ConcurrentLinkedDeque<Channel>>> POOLS =
            new ConcurrentHashMap<>();

    private final HttpClientOptions options;
    private final SslContext tls;
    private final Map<String, ConcurrentLinkedDeque<Channel>> idle;
    /** Connections carrying a request of this client now. */
    private final java.util.Set<Channel> inUse = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    public HttpClient(HttpClientOptions options) {
        this.options = Objects.requireNonNull(options, "options");
        this.idle = POOLS.computeIfAbsent(options, o -> new ConcurrentHashMap<>());
        this.tls = tls(options.acceptInvalidCerts());
    }

    /** The client TLS context: the JDK's trust store with host name checks, or (tests only) trust anything. */
    static SslContext tls(boolean acceptInvalidCerts) {
        return acceptInvalidCerts ? TlsContexts.INSECURE : TlsContexts.VERIFYING;
    }

    /** The two client TLS contexts, built once: the JDK's trust store with host name checks, or trust anything. */
    private static final class TlsContexts {
        static final SslContext VERIFYING = build(false);
        static final SslContext INSECURE = build(true);

        private static SslContext build(boolean insecure) {
            try {
                SslContextBuilder b = SslContextBuilder.forClient();
                if (insecure) {
                    b.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null);
                } else {
                    b.endpointIdentificationAlgorithm("HTTPS");
                }
                return b.build();
            } catch (SSLException e) {
                throw new IllegalStateException("cannot set up TLS for the HTTP client: " + e.getMessage(), e);
            }
        }
    }

    public HttpClientOptions options() {
        return options;
    }

    /** The event loops of every client: created at the first connection, daemon threads, never shut down. */
    private static final class Loops {
        static final EventLoopGroup GROUP = Transports.newEventLoopGroup(1, new DefaultThreadFactory("kumo-http", true));
    }

    /**
     * Sends the request and waits for the whole response, at most the request's timeout (connecting included).
     * Redirects (301, 302, 303, 307, 308) are followed, at most {@link #MAX_REDIRECTS}, within the same timeout,
     * as KumoMTA's client does: 303 (and 301/302 after a POST) turn into a GET without a body, and credentials are
     * not sent to another host.
     *
     * @throws HttpException no response: bad URL, DNS, connect, TLS, timeout, connection closed early, too many
     *                       redirects
     */
    public Reply send(Request request) throws HttpException {
        URI uri = request.uri();
        notOnEventLoop("send()");
        if (closed) {
            throw new HttpException(uri, "the client is closed", null);
        }
        Deadline deadline = Deadline.after(request.timeout());
        Request current = request;
        for (int redirects = 0; ; redirects++) {
            Reply reply = exchange(current, deadline.nanos(), deadline.timedOut());
            String location = reply.status() / 100 == 3 ? header(reply, "location") : null;
            if (location == null || !REDIRECTS.contains(reply.status())) {
                return reply;
            }
            if (redirects == MAX_REDIRECTS) {
                throw new HttpException(request.uri(), "too many redirects (" + MAX_REDIRECTS + ")", null);
            }
            current = redirected(current, reply.status(), location);
        }
    }

    /**
     * When a blocking operation gives up ({@link System#nanoTime}), and the error text it then raises: its own
     * timeout, or earlier, just before the running policy call's limit ({@link CallDeadline}), so the Lua code still
     * has time to handle the error instead of the state being abandoned.
     */
    record Deadline(long nanos, String timedOut) {
        static Deadline after(Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            OptionalLong callDeadline = CallDeadline.nanos();
            if (callDeadline.isPresent() && callDeadline.getAsLong() - CALL_MARGIN_NANOS - deadline < 0) {
                return new Deadline(callDeadline.getAsLong() - CALL_MARGIN_NANOS,
                        "operation timed out at the policy call's time limit");
            }
            return new Deadline(deadline, "operation timed out after " + seconds(timeout));
        }
    }

    /** Refuses to block a Netty event loop: policy calls run on the policy's own threads. */
    static void notOnEventLoop(String what) {
        if (Thread.currentThread() instanceof io.netty.util.concurrent.FastThreadLocalThread) {
            // waiting here would stall every channel of this loop
            throw new IllegalStateException("kumo.http: " + what + " called on a Netty event loop thread, where it must not block");
        }
    }

    /** The request a redirect asks for. */
    private static Request redirected(Request r, int status, String location) throws HttpException {
        URI next;
        try {
            next = r.uri().resolve(new URI(location));
        } catch (java.net.URISyntaxException | IllegalArgumentException e) {
            throw new HttpException(r.uri(), "redirect to an invalid location '" + location + "'", e);
        }
        String scheme = next.getScheme() == null ? "" : next.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || next.getHost() == null) {
            throw new HttpException(r.uri(), "redirect to an unsupported location '" + location + "'", null);
        }
        boolean toGet = status == 303 || (status == 301 || status == 302) && r.method().equals("POST");
        boolean sameHost = next.getHost().equalsIgnoreCase(r.uri().getHost()) && next.getPort() == r.uri().getPort();
        List<Map.Entry<String, String>> headers = r.headers().stream()
                .filter(h -> sameHost || !SENSITIVE.contains(h.getKey().toLowerCase(java.util.Locale.ROOT)))
                .filter(h -> !toGet || !BODY_HEADERS.contains(h.getKey().toLowerCase(java.util.Locale.ROOT)))
                .toList();
        return new Request(toGet ? "GET" : r.method(), next, headers, toGet ? new byte[0] : r.body(), r.timeout());
    }

    private static String header(Reply reply, String lowerName) {
        return reply.headers().stream().filter(h -> h.getKey().equals(lowerName)).map(Map.Entry::getValue)
                .findFirst().orElse(null);
    }

    private Reply exchange(Request request, long deadline, String timedOut) throws HttpException {
        URI uri = request.uri();
        Target target = Target.of(uri);
        Channel channel = reuse(target);
        boolean reused = channel != null;
        if (channel == null) {
            channel = connect(uri, target, deadline);
        }
        inUse.add(channel);
        try {
            return exchange(request, target, channel, reused, deadline, timedOut);
        } finally {
            inUse.remove(channel);
        }
    }

    private Reply exchange(Request request, Target target, Channel channel, boolean reused, long deadline,
                           String timedOut) throws HttpException {
        URI uri = request.uri();
        if (closed) {
            channel.close();
            throw new HttpException(uri, "the client is closed", null);
        }
        Exchange exchange = channel.pipeline().get(Exchange.class);
        CompletableFuture<FullHttpResponse> pending = exchange.expect();
        channel.writeAndFlush(toNetty(request, target)).addListener(f -> {
            if (!f.isSuccess()) {
                pending.completeExceptionally(f.cause());
            }
        });
        FullHttpResponse response;
        try {
            response = pending.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            channel.close();
            throw new HttpException(uri, timedOut, null);
        } catch (ExecutionException e) {
            channel.close();
            Throwable cause = e.getCause();
            throw new HttpException(uri, (reused ? "on a reused connection: " : "") + reason(cause), cause);
        } catch (InterruptedException e) {
            channel.close();
            Thread.currentThread().interrupt();
            throw new HttpException(uri, "interrupted", e);
        }
        try {
            List<Map.Entry<String, String>> headers = new ArrayList<>();
            response.headers().forEach(h -> headers.add(Map.entry(h.getKey().toLowerCase(java.util.Locale.ROOT),
                    h.getValue())));
            Reply reply = new Reply(response.status().code(), headers, ByteBufUtil.getBytes(response.content()));
            if (HttpUtil.isKeepAlive(response) && !closed) {
                park(target, channel);
            } else {
                channel.close();
            }
            return reply;
        } finally {
            response.release();
        }
    }

    /**
     * Ends the client: later requests fail and a request in flight is cut off. Its idle connections stay in the
     * pool of its options for the next client, until {@code pool_idle_timeout}.
     */
    @Override
    public void close() {
        closed = true;
        inUse.forEach(Channel::close);
    }

    /** Where a request goes; {@code https} is TLS ({@code https} or {@code wss} URLs). */
    record Target(boolean https, String host, int port) {
        static Target of(URI uri) {
            boolean https = "https".equalsIgnoreCase(uri.getScheme()) || "wss".equalsIgnoreCase(uri.getScheme());
            String host = uri.getHost();
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            return new Target(https, host, uri.getPort() >= 0 ? uri.getPort() : https ? 443 : 80);
        }

        String key() {
            return (https ? "https://" : "http://") + host + ":" + port;
        }

        String hostHeader() {
            String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
            return port == (https ? 443 : 80) ? h : h + ":" + port;
        }
    }

    private Channel reuse(Target target) {
        ConcurrentLinkedDeque<Channel> parked = idle.get(target.key());
        Channel ch;
        while (parked != null && (ch = parked.pollFirst()) != null) {
            if (ch.isActive() && takeOutOfPool(ch)) {
                if (options.verbose()) {
                    LOG.info("kumo.http: reusing connection {} to {}", IpLiterals.format((InetSocketAddress) ch.localAddress()), target.key());
                }
                return ch;
            }
        }
        return null;
    }

    /** Removes the pool's idle timer; false when the connection closed meanwhile (its pipeline is gone). */
    private static boolean takeOutOfPool(Channel ch) {
        try {
            ch.pipeline().remove("pool-idle");
            return true;
        } catch (java.util.NoSuchElementException closedMeanwhile) {
            return false;
        }
    }

    /** Back to the pool, closed once it has been idle for pool_idle_timeout. */
    private void park(Target target, Channel ch) {
        if (options.poolIdleTimeout().isZero()) {
            ch.close();
            return;
        }
        ch.pipeline().addFirst("pool-idle", new IdleStateHandler(0, 0, options.poolIdleTimeout().toMillis(),
                TimeUnit.MILLISECONDS) {
            @Override
            protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent evt) {
                ctx.close();
            }
        });
        idle.computeIfAbsent(target.key(), k -> new ConcurrentLinkedDeque<>()).addFirst(ch);
        ch.closeFuture().addListener(f -> {
            ConcurrentLinkedDeque<Channel> parked = idle.get(target.key());
            if (parked != null) {
                parked.remove(ch);
            }
        });
    }

    private Channel connect(URI where, Target target, long deadline) throws HttpException {
        Channel ch = open(where, target, tls, p -> {
            p.addLast("codec", new HttpClientCodec());
            p.addLast("aggregate", new HttpObjectAggregator(MAX_RESPONSE_BYTES));
            p.addLast("exchange", new Exchange());
        }, deadline);
        if (closed) {
            ch.close();
            throw new HttpException(where, "the client is closed", null);
        }
        if (options.verbose()) {
            LOG.info("kumo.http: connected {} to {} ({})", IpLiterals.format((InetSocketAddress) ch.localAddress()), target.key(),
                    IpLiterals.format((InetSocketAddress) ch.remoteAddress()));
        }
        return ch;
    }

    /**
     * Opens a connection to {@code target} on the event loop of every client, trying each address of its host in
     * turn, with TLS (and its handshake done) when the target is https/wss, then the handlers {@code handlers}
     * adds; all before {@code deadline} ({@link System#nanoTime}).
     */
    static Channel open(URI where, Target target, SslContext tls, java.util.function.Consumer<ChannelPipeline> handlers,
                        long deadline) throws HttpException {
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(target.host());
        } catch (UnknownHostException e) {
            throw new HttpException(where, "dns error: cannot resolve " + target.host(), e);
        }
        HttpException last = null;
        for (InetAddress address : addresses) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            try {
                return connect(where, target, tls, handlers, new InetSocketAddress(address, target.port()), left);
            } catch (HttpException e) {
                last = e;
            }
        }
        throw last != null ? last : new HttpException(where, "operation timed out while connecting", null);
    }

    private static Channel connect(URI where, Target target, SslContext tls,
                                   java.util.function.Consumer<ChannelPipeline> handlers, InetSocketAddress address,
                                   long leftNanos) throws HttpException {
        String peer = IpLiterals.format(address);
        ChannelFuture connect = Transports.clientBootstrap(address.getAddress()).group(Loops.GROUP)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.clamp(TimeUnit.NANOSECONDS.toMillis(leftNanos), 1, Integer.MAX_VALUE))
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (target.https()) {
                            ch.pipeline().addLast("tls", tls.newHandler(ch.alloc(), target.host(), target.port()));
                        }
                        handlers.accept(ch.pipeline());
                    }
                })
                .connect(address);
        long start = System.nanoTime();
        try {
            if (!connect.await(leftNanos, TimeUnit.NANOSECONDS)) {
                connect.cancel(false);
                connect.channel().close();
                throw new HttpException(where, "operation timed out while connecting to " + peer, null);
            }
            if (!connect.isSuccess()) {
                throw new HttpException(where, "cannot connect to " + peer + ": " + reason(connect.cause()),
                        connect.cause());
            }
            Channel ch = connect.channel();
            SslHandler ssl = ch.pipeline().get(SslHandler.class);
            if (ssl != null) {
                var handshake = ssl.handshakeFuture();
                long left = leftNanos - (System.nanoTime() - start);
                if (!handshake.await(Math.max(0, left), TimeUnit.NANOSECONDS)) {
                    ch.close();
                    throw new HttpException(where, "operation timed out in the TLS handshake with " + peer, null);
                }
                if (!handshake.isSuccess()) {
                    ch.close();
                    throw new HttpException(where, "TLS handshake with " + peer + " failed: "
                            + reason(handshake.cause()), handshake.cause());
                }
            }
            return ch;
        } catch (InterruptedException e) {
            connect.channel().close();
            Thread.currentThread().interrupt();
            throw new HttpException(where, "interrupted while connecting", e);
        }
    }

    private FullHttpRequest toNetty(Request request, Target target) {
        URI uri = request.uri();
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        if (uri.getRawQuery() != null) {
            path += "?" + uri.getRawQuery();
        }
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(request.method()),
                path, Unpooled.wrappedBuffer(request.body()));
        r.headers().set(HttpHeaderNames.HOST, target.hostHeader());
        r.headers().set(HttpHeaderNames.ACCEPT, "*/*");
        for (Map.Entry<String, String> h : request.headers()) {
            r.headers().add(h.getKey(), h.getValue());
        }
        if (options.userAgent() != null && !r.headers().contains(HttpHeaderNames.USER_AGENT)) {
            r.headers().set(HttpHeaderNames.USER_AGENT, options.userAgent());
        }
        if (request.body().length > 0 || !request.method().equals("GET")) {
            r.headers().set(HttpHeaderNames.CONTENT_LENGTH, request.body().length);
        }
        return r;
    }

    /** The last handler: completes the request waiting on this connection. */
    private static final class Exchange extends SimpleChannelInboundHandler<FullHttpResponse> {
        private volatile CompletableFuture<FullHttpResponse> pending;

        Exchange() {
            super(false);
        }

        CompletableFuture<FullHttpResponse> expect() {
            CompletableFuture<FullHttpResponse> f = new CompletableFuture<>();
            pending = f;
            return f;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
            CompletableFuture<FullHttpResponse> f = pending;
            pending = null;
            if (f == null || !f.complete(response)) {
                response.release(); // nobody waits (timed out): drop it with the connection
                ctx.close();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            fail(new IOException("connection closed before a complete response"));
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(cause);
            ctx.close();
        }

        private void fail(Throwable cause) {
            CompletableFuture<FullHttpResponse> f = pending;
            pending = null;
            if (f != null) {
                f.completeExceptionally(cause);
            }
        }
    }

    static String reason(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage();
        // epoll's "finishConnect(..) failed with error(-111): Connection refused": the reason is the last part
        return m == null ? root.getClass().getSimpleName() : m.replaceFirst("^\\w+\\(\\.\\.\\) failed with error\\(-?\\d+\\): ", "");
    }

    static String seconds(Duration d) {
        return java.math.BigDecimal.valueOf(d.toMillis()).movePointLeft(3).stripTrailingZeros().toPlainString() + " s";
    }
}
