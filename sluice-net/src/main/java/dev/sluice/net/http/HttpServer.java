package dev.sluice.net.http;

import dev.sluice.net.CidrSet;
import dev.sluice.net.IpLiterals;
import dev.sluice.net.Transports;
import io.netty.util.concurrent.DefaultThreadFactory;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small HTTP/1.1 server for status, metrics and API endpoints. Routes are exact (method, path) pairs; an unknown
 * path gets 404, a known path with another method 405, and a peer outside the trusted hosts 401 unless the route is
 * {@link Access#PUBLIC} or the request carries HTTP Basic credentials that the {@link #basicAuth} accepts (as
 * KumoMTA: credentials it refuses get 401 even from a trusted host). Routes may be added before or after
 * {@link #start()}.
 */
public final class HttpServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HttpServer.class);

    /** Idle keep-alive connections are closed after this long so clients cannot pin sockets forever. */
    static final int IDLE_SECONDS = 120;

    /** Who may call a route. */
    public enum Access {
        /** Only peers inside the listener's trusted hosts. */
        TRUSTED,
        /** Anyone who can connect. */
        PUBLIC
    }

    record Route(Access access, HttpHandler handler) {}

    record WebSocketRoute(Access access, WebSocketEndpoint endpoint) {}

    private final HttpListenerConfig config;
    private final CidrSet trustedHosts;
    /** path → (method → route). */
    private final Map<String, Map<String, Route>> routes = new ConcurrentHashMap<>();
    private final Map<String, WebSocketRoute> webSockets = new ConcurrentHashMap<>();

    /** Null: this server does no HTTP authentication, an Authorization header is the routes' business. */
    private volatile BasicAuthenticator basicAuth;

    private EventLoopGroup group;
    private Channel serverChannel;
    private InetSocketAddress boundAddress;

    public HttpServer(HttpListenerConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.trustedHosts = CidrSet.parse(config.trustedHosts());
    }

    public HttpListenerConfig config() {
        return config;
    }

    /**
     * Who checks HTTP Basic credentials. Without one (the default) the server does no HTTP authentication and hands
     * any Authorization header to the route; with one, a request whose credentials it accepts may call every route,
     * also from outside the trusted hosts, and one whose credentials it refuses gets 401 ({@link
     * BasicAuthenticator#NONE} refuses them all: KumoMTA's listener without a handler).
     */
    public HttpServer basicAuth(BasicAuthenticator authenticator) {
        this.basicAuth = Objects.requireNonNull(authenticator, "authenticator");
        return this;
    }

    /** The authenticator, or null when this server does no HTTP authentication. */
    BasicAuthenticator basicAuth() {
        return basicAuth;
    }

    /** Adds a route only trusted peers may call. */
    public HttpServer route(String method, String path, HttpHandler handler) {
        return route(method, path, Access.TRUSTED, handler);
    }

    /** Adds a route; a later registration for the same method and path replaces the earlier one. */
    public HttpServer route(String method, String path, Access access, HttpHandler handler) {
        Objects.requireNonNull(handler, "handler");
        Objects.requireNonNull(access, "access");
        if (path == null || !path.startsWith("/")) {
            throw new IllegalArgumentException("route path must start with '/': " + path);
        }
        String m = method.toUpperCase(Locale.ROOT);
        routes.computeIfAbsent(path, p -> new ConcurrentHashMap<>()).put(m, new Route(access, handler));
        return this;
    }

    /** Shorthand for a GET route answered at once. */
    public HttpServer get(String path, Access access, HttpHandler.Sync handler) {
        return route("GET", path, access, HttpHandler.sync(handler));
    }

    /** Adds a websocket route: a GET with {@code Upgrade: websocket} on {@code path} opens a session of {@code endpoint}. */
    public HttpServer webSocket(String path, Access access, WebSocketEndpoint endpoint) {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(access, "access");
        if (path == null || !path.startsWith("/")) {
            throw new IllegalArgumentException("route path must start with '/': " + path);
        }
        webSockets.put(path, new WebSocketRoute(access, endpoint));
        return this;
    }

    WebSocketRoute webSocketFor(String path) {
        return webSockets.get(path);
    }

    Map<String, Route> methodsFor(String path) {
        return routes.get(path);
    }

    boolean isTrusted(InetSocketAddress peer) {
        return peer != null && trustedHosts.contains(peer.getAddress());
    }

    /**
     * Binds and starts serving. Returns the bound address (the real port when the config asked for port 0).
     *
     * @throws UncheckedIOException when the address cannot be bound
     */
    public synchronized InetSocketAddress start() {
        if (serverChannel != null) {
            throw new IllegalStateException("already started on " + boundAddress);
        }
        EventLoopGroup g = Transports.newEventLoopGroup(2, new DefaultThreadFactory("sluice-http", true));
        int aggregateLimit = (int) Math.min(config.requestBodyLimit(), Integer.MAX_VALUE);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(g)
                .channelFactory(Transports.serverChannelFactory(config.listen().getAddress()))
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ChannelPipeline p = ch.pipeline();
                        if (config.useTls()) {
                            p.addLast("tls", config.sslContext().newHandler(ch.alloc()));
                        }
                        p.addLast("idle", new IdleStateHandler(0, 0, IDLE_SECONDS, TimeUnit.SECONDS));
                        p.addLast("codec", new HttpServerCodec());
                        p.addLast("aggregate", new HttpObjectAggregator(aggregateLimit));
                        p.addLast("route", new RouteDispatcher(HttpServer.this));
                    }
                });
        ChannelFuture bind = bootstrap.bind(config.listen()).awaitUninterruptibly();
        if (!bind.isSuccess()) {
            g.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            Throwable cause = bind.cause();
            var failure = dev.sluice.net.StartFailure.listen(config.listen(), cause);
            throw new UncheckedIOException(failure.getMessage(), failure);
        }
        group = g;
        serverChannel = bind.channel();
        boundAddress = (InetSocketAddress) serverChannel.localAddress();
        log.info("http listener on {}{}", IpLiterals.format(boundAddress), config.useTls() ? " (tls)" : "");
        return boundAddress;
    }

    /** The bound address, or null before {@link #start()}. */
    public synchronized InetSocketAddress boundAddress() {
        return boundAddress;
    }

    /** Stops accepting, closes open connections and releases the threads. Safe to call twice. */
    public synchronized void stop() {
        if (serverChannel == null) {
            return;
        }
        serverChannel.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        log.info("http listener on {} stopped", IpLiterals.format(boundAddress));
        serverChannel = null;
        group = null;
    }

    @Override
    public void close() {
        stop();
    }
}
