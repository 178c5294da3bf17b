package dev.sluice.net.http;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Per-connection handler: turns an aggregated request into a route call and writes the answer. */
final class RouteDispatcher extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger log = LoggerFactory.getLogger(RouteDispatcher.class);

    private final HttpServer server;
    /** Requests that arrived (pipelined) while an earlier one was still being answered. Event-loop only. */
    private final ArrayDeque<FullHttpRequest> pending = new ArrayDeque<>();
    private boolean busy;
    /** Set once an answer carried "Connection: close": later pipelined requests are dropped. */
    private boolean closing;

    RouteDispatcher(HttpServer server) {
        this.server = server;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (busy) {
            // One read can decode several pipelined requests; answer them strictly in order.
            pending.add(request.retain());
            return;
        }
        busy = true;
        // Read nothing more until the queue drains; bounds what a pipelining client can pile up.
        ctx.channel().config().setAutoRead(false);
        dispatch(ctx, request);
    }

    /** Called on the event loop after each answer is written. */
    private void next(ChannelHandlerContext ctx) {
        FullHttpRequest queued = pending.poll();
        if (queued == null) {
            busy = false;
            ctx.channel().config().setAutoRead(true);
            return;
        }
        try {
            dispatch(ctx, queued);
        } finally {
            queued.release();
        }
    }

    private void dispatch(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (closing || !ctx.channel().isActive()) {
            return;
        }
        HttpVersion version = request.protocolVersion();
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (request.decoderResult().isFailure()) {
            write(ctx, version, false, HttpResponse.text(400, "bad request\n"), Map.of());
            next(ctx);
            return;
        }
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        String path = uri.path();
        String method = request.method().name().toUpperCase(Locale.ROOT);

        HttpServer.WebSocketRoute ws = server.webSocketFor(path);
        if (ws != null && method.equals("GET") && isUpgrade(request)) {
            upgrade(ctx, request, path, ws, keepAlive);
            return;
        }
        Map<String, HttpServer.Route> methods = server.methodsFor(path);
        if (methods == null || methods.isEmpty()) {
            write(ctx, version, keepAlive, HttpResponse.text(404, "not found\n"), Map.of());
            next(ctx);
            return;
        }
        HttpServer.Route route = methods.get(method);
        if (route == null) {
            String allow = String.join(", ", new TreeSet<>(methods.keySet()));
            write(ctx, version, keepAlive, HttpResponse.text(405, "method not allowed\n"), Map.of("allow", allow));
            next(ctx);
            return;
        }
        InetSocketAddress peer = (InetSocketAddress) ctx.channel().remoteAddress();
        boolean trusted = server.isTrusted(peer);
        String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        HttpRequest call = new HttpRequest(method, path, uri.parameters(), headers(request),
                ByteBufUtil.getBytes(request.content()), peer, trusted);
        if (authorization == null || server.basicAuth() == null) {
            if (route.access() == HttpServer.Access.TRUSTED && !trusted) {
                unauthorized(ctx, version, keepAlive, "unauthorized\n");
                return;
            }
            run(ctx, version, keepAlive, route, call);
            return;
        }
        // As KumoMTA: credentials are checked whoever sends them; refused ones are a 401 even from a trusted host
        BasicCredentials credentials = BasicCredentials.parse(authorization);
        if (credentials == null) {
            boolean bearer = authorization.startsWith("Bearer ");
            if (bearer) { // KumoMTA asks http_server_validate_auth_bearer, which Sluice does not have: refused
                unauthorized(ctx, version, keepAlive, "bearer tokens are not accepted\n");
            } else {
                write(ctx, version, keepAlive, HttpResponse.text(400, "malformed or unsupported Authorization header\n"),
                        Map.of());
                next(ctx);
            }
            return;
        }
        check(credentials).whenComplete((v, error) -> ctx.executor().execute(() -> {
            switch (error != null ? new BasicAuthenticator.Verdict.Failed(error.toString()) : v) {
                case BasicAuthenticator.Verdict.Accepted a -> run(ctx, version, keepAlive, route,
                        new HttpRequest(call.method(), call.path(), call.query(), call.headers(), call.body(), peer,
                                trusted, a.user()));
                case BasicAuthenticator.Verdict.Refused r -> unauthorized(ctx, version, keepAlive,
                        "authentication failed for " + credentials.user().replaceAll("[^\\x20-\\x7e]", "?") + "\n");
                case BasicAuthenticator.Verdict.Failed f -> {
                    log.error("http {} {}: checking the credentials of {} failed: {}", method, path,
                            credentials.user(), f.reason());
                    write(ctx, version, keepAlive, HttpResponse.text(500, "try again later\n"), Map.of());
                    next(ctx);
                }
            }
        }));
    }

    /** The authenticator's verdict on {@code credentials}; a throwing authenticator is a failed verdict. */
    private CompletableFuture<BasicAuthenticator.Verdict> check(BasicCredentials credentials) {
        try {
            return server.basicAuth().check(credentials.user(), credentials.password());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** 401 with the challenge RFC 9110 requires, so that a client knows Basic credentials are what it may send. */
    private void unauthorized(ChannelHandlerContext ctx, HttpVersion version, boolean keepAlive, String text) {
        write(ctx, version, keepAlive, HttpResponse.text(401, text),
                Map.of("www-authenticate", "Basic realm=\"" + server.config().hostname().replace("\"", "") + "\""));
        next(ctx);
    }

    /** Runs the route's handler and writes its answer. */
    private void run(ChannelHandlerContext ctx, HttpVersion version, boolean keepAlive, HttpServer.Route route,
                     HttpRequest call) {
        if (closing || !ctx.channel().isActive()) {
            return;
        }
        CompletableFuture<HttpResponse> answer;
        try {
            answer = route.handler().handle(call);
            if (answer == null) {
                answer = CompletableFuture.failedFuture(new IllegalStateException("handler returned null"));
            }
        } catch (Exception e) {
            answer = CompletableFuture.failedFuture(e);
        }
        // the answer's callback names the request, not holds it: its body may be large and the handler done with it
        String method = call.method();
        String path = call.path();
        answer.whenComplete((response, error) -> ctx.executor().execute(() -> {
            HttpResponse out = response;
            if (error != null || response == null) {
                Throwable cause = error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                log.warn("http {} {} failed", method, path, cause);
                out = HttpResponse.text(500, "internal error\n");
            }
            write(ctx, version, keepAlive, out, Map.of());
            next(ctx);
        }));
    }

    private static boolean isUpgrade(FullHttpRequest request) {
        return request.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
                && request.headers().contains(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true);
    }

    /** Hands the connection over to a websocket endpoint: no more HTTP requests on it. */
    private void upgrade(ChannelHandlerContext ctx, FullHttpRequest request, String path,
            HttpServer.WebSocketRoute ws, boolean keepAlive) {
        InetSocketAddress peer = (InetSocketAddress) ctx.channel().remoteAddress();
        if (ws.access() == HttpServer.Access.TRUSTED && !server.isTrusted(peer)) {
            // as for the other routes: Basic credentials the authenticator accepts open it too (a browser sends the
            // credentials of its page along with the upgrade)
            String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
            BasicCredentials credentials = authorization == null || server.basicAuth() == null ? null
                    : BasicCredentials.parse(authorization);
            if (credentials == null) {
                unauthorized(ctx, request.protocolVersion(), keepAlive, "unauthorized\n");
                return;
            }
            FullHttpRequest held = request.retainedDuplicate();
            check(credentials).whenComplete((v, error) -> ctx.executor().execute(() -> {
                try {
                    if (error == null && v instanceof BasicAuthenticator.Verdict.Accepted) {
                        handshake(ctx, held, path, ws);
                    } else {
                        unauthorized(ctx, held.protocolVersion(), keepAlive, "authentication failed\n");
                    }
                } finally {
                    held.release();
                }
            }));
            return;
        }
        handshake(ctx, request, path, ws);
    }

    private void handshake(ChannelHandlerContext ctx, FullHttpRequest request, String path,
            HttpServer.WebSocketRoute ws) {
        String scheme = server.config().useTls() ? "wss://" : "ws://";
        WebSocketServerHandshaker handshaker = new WebSocketServerHandshakerFactory(
                scheme + request.headers().get(HttpHeaderNames.HOST, "localhost") + path, null, true)
                .newHandshaker(request);
        if (handshaker == null) {
            WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
            next(ctx);
            return;
        }
        closing = true; // whatever the client pipelined after the upgrade is not HTTP
        releasePending();
        WebSocketFrames frames = new WebSocketFrames(ws.endpoint(), new WebSocketSession(ctx.channel(), path));
        ChannelPipeline p = ctx.pipeline();
        handshaker.handshake(ctx.channel(), request).addListener(done -> {
            if (!done.isSuccess()) {
                ctx.close();
                return;
            }
            p.replace("idle", "idle", new IdleStateHandler(0, 0, WEBSOCKET_PING_SECONDS, TimeUnit.SECONDS));
            p.replace(this, "websocket", frames);
            ctx.channel().config().setAutoRead(true);
            frames.opened();
        });
    }

    /** A quiet websocket gets a ping this often, so that proxies and the peer know it is alive. */
    static final int WEBSOCKET_PING_SECONDS = 30;

    private static Map<String, List<String>> headers(FullHttpRequest request) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> h : request.headers()) {
            out.computeIfAbsent(h.getKey().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(h.getValue());
        }
        out.replaceAll((k, v) -> List.copyOf(v));
        return out;
    }

    private void write(ChannelHandlerContext ctx, HttpVersion version, boolean keepAlive,
                              HttpResponse response, Map<String, String> extraHeaders) {
        FullHttpResponse out = new DefaultFullHttpResponse(version, HttpResponseStatus.valueOf(response.status()),
                Unpooled.wrappedBuffer(response.body()));
        out.headers().set(HttpHeaderNames.CONTENT_TYPE, response.contentType());
        out.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.body().length);
        extraHeaders.forEach((k, v) -> out.headers().set(k, v));
        HttpUtil.setKeepAlive(out, keepAlive);
        var written = ctx.writeAndFlush(out);
        if (!keepAlive) {
            closing = true;
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        releasePending();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releasePending();
    }

    private void releasePending() {
        FullHttpRequest queued;
        while ((queued = pending.poll()) != null) {
            queued.release();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("http connection from {} failed", dev.sluice.net.IpLiterals.format((java.net.InetSocketAddress) ctx.channel().remoteAddress()), cause);
        ctx.close();
    }
}
