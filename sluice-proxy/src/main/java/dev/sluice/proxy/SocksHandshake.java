package dev.sluice.proxy;

import dev.sluice.net.IpLiterals;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The whole SOCKS5 handshake in one handler: greeting, RFC 1929 sub-negotiation, then the request(s), parsed by
 * {@link Socks5Parser} from one cumulation buffer and answered with pre-built replies ({@link SocksReplies}). Nothing
 * is added to or removed from the pipeline until CONNECT succeeds; then the relay's client side takes this
 * handler's place and gets whatever the client sent ahead of the reply.
 *
 * <p>Method selection, with an authenticator, is KumoProxy's order: username/password offered → always
 * sub-negotiate (even when auth is not required); else require_auth → 0xFF; else "no auth" offered → 0x00; else
 * 0xFF. Without one, nothing could check a password, so it is never asked for: "no auth" offered → 0x00, else 0xFF
 * (require_auth without an authenticator is refused when the server is built). The authenticator runs off the event
 * loop: granted with at least one identity → {@code 01 00}; anything else (denied, error, malformed, no answer within
 * the step timeout) → {@code 01 01} and close.
 *
 * <p>Requests follow KumoProxy's convention: BIND(ip, port) pins the egress source (a bound, not listening,
 * socket) and the following CONNECT connects that socket; CONNECT alone lets the kernel pick the source. A success
 * reply carries the outbound socket's local ip:port. Any failure reply ends the session.
 *
 * <p>Client sockets allow half-closure (a client may send request, data and FIN in one go), so a client that closes
 * shows up as an input-shutdown event. While the handshake waits for bytes from the client that ends the session
 * at once; while it waits for the authenticator, a bind or a connect it goes on, and the client's end is looked at
 * again when the next step needs bytes.
 */
final class SocksHandshake extends ChannelInboundHandlerAdapter {
    /** A client pipelining more than this before we answer is not a SOCKS client we want. */
    private static final int MAX_PENDING = 64 * 1024;

    private enum Step {
        GREETING, CREDENTIALS, REQUEST,
        /** The authenticator, a bind or a connect is under way: bytes from the client wait. */
        WAITING,
        /** Relaying, or the handler is gone. */
        DONE
    }

    private final Session session;
    private ChannelHandlerContext ctx;
    private Step step = Step.GREETING;
    /** Bytes received and not yet parsed; null when there are none. */
    private ByteBuf in;
    private boolean inputClosed;

    SocksHandshake(Session session) {
        this.session = session;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        session.timer.arm(() -> session.fail("timeout waiting for the greeting"));
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        step = Step.DONE;
        if (in != null) {
            in.release();
            in = null;
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf) || step == Step.DONE || session.finished()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (in == null) {
            in = buf;
        } else {
            in = cumulate(ctx, in, buf);
        }
        parse();
        if (in != null && in.readableBytes() > MAX_PENDING && !session.finished()) {
            session.fail("client sent " + in.readableBytes() + " bytes ahead of the handshake");
        }
    }

    private static ByteBuf cumulate(ChannelHandlerContext ctx, ByteBuf into, ByteBuf more) {
        try {
            if (into.writableBytes() >= more.readableBytes() && into.refCnt() == 1 && !into.isReadOnly()) {
                into.writeBytes(more);
                return into;
            }
            ByteBuf merged = ctx.alloc().buffer(into.readableBytes() + more.readableBytes());
            merged.writeBytes(into).writeBytes(more);
            into.release();
            return merged;
        } finally {
            more.release();
        }
    }

    /** Handles every complete message the input holds while a step wants one. */
    private void parse() {
        while (in != null && !session.finished()) {
            Socks5Parser.Parsed p = switch (step) {
                case GREETING -> Socks5Parser.greeting(in);
                case CREDENTIALS -> Socks5Parser.credentials(in);
                case REQUEST -> Socks5Parser.request(in);
                case WAITING, DONE -> null;
            };
            if (!in.isReadable()) {
                in.release();
                in = null;
            }
            if (p == null) {
                break;
            }
            Step at = step;
            step = Step.WAITING; // until the message's handling says what comes next
            switch (at) {
                case GREETING -> greeting(p);
                case CREDENTIALS -> credentials(p);
                case REQUEST -> request(p);
                default -> throw new IllegalStateException(at.toString());
            }
        }
        endIfClientGone();
    }

    private boolean waitingForClient() {
        return step == Step.GREETING || step == Step.CREDENTIALS || step == Step.REQUEST;
    }

    /** The client will send nothing more: if the handshake still needs something from it, the session ends now. */
    private void endIfClientGone() {
        if (inputClosed && waitingForClient() && !session.finished()) {
            session.clientClosed();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent || evt instanceof SslCloseCompletionEvent) {
            inputClosed = true;
            endIfClientGone();
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        session.fail("error: " + cause.getMessage());
    }

    private ChannelFuture reply(ByteBuf bytes) {
        return ctx.writeAndFlush(bytes);
    }

    /**
     * A reply after which the handshake goes on: no promise to build and complete, as nothing listens for it. A
     * failed write fires exceptionCaught, which ends the session ({@link #exceptionCaught}).
     */
    private void replyAndGoOn(ByteBuf bytes) {
        ctx.writeAndFlush(bytes, ctx.voidPromise());
    }

    // ------------------------------------------------------------------ greeting

    private void greeting(Socks5Parser.Parsed p) {
        if (!(p instanceof Socks5Parser.Greeting g)) {
            // RFC 1928 has no reply for a greeting we cannot parse (e.g. SOCKS4): just close.
            session.fail("malformed greeting: " + ((Socks5Parser.Malformed) p).reason());
            return;
        }
        boolean canCheckPasswords = session.listener.authenticator() != null;
        if (canCheckPasswords && g.offers(SocksReplies.METHOD_PASSWORD)) {
            replyAndGoOn(SocksReplies.methodPassword());
            step = Step.CREDENTIALS;
            session.phase = "authentication";
            session.timer.arm(() -> session.fail("timeout waiting for the username/password request"));
        } else if (session.listener.config().requireAuth()) {
            session.timer.cancel();
            reply(SocksReplies.methodUnacceptable()).addListener(ChannelFutureListener.CLOSE);
            session.fail("require_auth and the client offered no username/password");
        } else if (g.offers(SocksReplies.METHOD_NO_AUTH)) {
            replyAndGoOn(SocksReplies.methodNoAuth());
            awaitRequest();
        } else {
            reply(SocksReplies.methodUnacceptable()).addListener(ChannelFutureListener.CLOSE);
            session.fail("no acceptable authentication method offered: " + g.methodsText()
                    + (canCheckPasswords ? "" : " (no authenticator: username/password is not offered)"));
        }
    }

    // ------------------------------------------------------------------ RFC 1929

    private void credentials(Socks5Parser.Parsed p) {
        if (!(p instanceof Socks5Parser.Credentials c)) {
            deny("malformed username/password request: " + ((Socks5Parser.Malformed) p).reason());
            return;
        }
        session.timer.arm(() -> deny("authenticator did not answer within " + session.timer.timeout()));
        Channel ch = ctx.channel();
        Map<String, String> meta = Map.of(
                "peer_address", format(ch.remoteAddress()),
                "local_address", format(ch.localAddress()));
        Authenticator auth = session.listener.authenticator() == null ? Authenticator.DENY_ALL : session.listener.authenticator();
        CompletableFuture<AuthDecision> decision;
        try {
            decision = auth.authenticate(c.username(), c.password(), meta);
        } catch (RuntimeException e) {
            decision = CompletableFuture.failedFuture(e);
        }
        String user = c.username();
        decision.whenComplete((d, err) -> ctx.executor().execute(() -> decided(user, d, err)));
    }

    private static String format(java.net.SocketAddress a) {
        return a instanceof InetSocketAddress i ? IpLiterals.format(i) : String.valueOf(a);
    }

    private void decided(String user, AuthDecision d, Throwable err) {
        if (session.finished() || step == Step.DONE) {
            return;
        }
        if (err != null) {
            deny("authenticator failed for user " + user + ": " + err);
        } else if (d instanceof AuthDecision.Granted g && !g.identities().isEmpty()) {
            session.identities = g.identities();
            replyAndGoOn(SocksReplies.authSucceeded());
            awaitRequest();
            parse(); // bytes that came while the authenticator decided
        } else {
            deny("authentication denied for user " + user);
        }
    }

    private void deny(String reason) {
        if (session.finished()) {
            return;
        }
        session.timer.cancel();
        reply(SocksReplies.authFailed()).addListener(ChannelFutureListener.CLOSE);
        session.fail(reason);
    }

    // ------------------------------------------------------------------ requests

    private void awaitRequest() {
        step = Step.REQUEST;
        session.phase = session.state == Session.State.BOUND ? "the request after BIND" : "the request";
        session.timer.arm(() -> session.fail("timeout waiting for a request"));
    }

    private void request(Socks5Parser.Parsed p) {
        if (!(p instanceof Socks5Parser.Request req)) {
            Socks5Parser.Malformed m = (Socks5Parser.Malformed) p;
            reply(SocksReplies.failure(m.addressType() ? Socks5CommandStatus.ADDRESS_UNSUPPORTED : Socks5CommandStatus.FAILURE));
            session.fail("malformed request: " + m.reason());
            return;
        }
        int cmd = req.command();
        if (cmd != Socks5Parser.CMD_BIND && cmd != Socks5Parser.CMD_CONNECT) {
            session.refuse(Socks5CommandStatus.COMMAND_UNSUPPORTED,
                    "command " + Socks5CommandType.valueOf((byte) cmd) + " is not supported");
            return;
        }
        String name = cmd == Socks5Parser.CMD_BIND ? "BIND" : "CONNECT";
        if (req.address() == null) {
            session.refuse(Socks5CommandStatus.ADDRESS_UNSUPPORTED,
                    "domain name " + printable(req.domain()) + " in " + name + " (the client resolves names)");
            return;
        }
        InetSocketAddress target = new InetSocketAddress(req.address(), req.port());
        if (cmd == Socks5Parser.CMD_BIND) {
            bind(target);
        } else {
            connect(target);
        }
    }

    /** A client's domain name for a log line: anything outside printable ASCII as \xNN. */
    private static String printable(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x7f) {
                sb.append(c);
            } else {
                sb.append(String.format("\\x%02x", (int) c));
            }
        }
        return sb.toString();
    }

    private void bind(InetSocketAddress source) {
        if (session.state != Session.State.NONE) {
            session.refuse(Socks5CommandStatus.FAILURE, "BIND after " + session.state);
            return;
        }
        String text = IpLiterals.format(source);
        java.util.Optional<String> rule = session.listener.policy().refuseBind(session.identities, source.getAddress());
        if (rule.isPresent()) {
            session.refuse(Socks5CommandStatus.FORBIDDEN, "BIND " + text + " not allowed by " + rule.get());
            return;
        }
        String sourceText = IpLiterals.format(IpLiterals.unmapV4(source.getAddress()));
        switch (session.listener.policy().admitSource(session.identities, source.getAddress())) {
            case SourceAdmission.Refused r -> {
                session.listener.metrics().sourceRefusals.labelValues(session.listener.label(), sourceText, r.limit()).inc();
                session.refuse(Socks5CommandStatus.FORBIDDEN, "BIND " + text + " refused: over " + r.rule());
                return;
            }
            case SourceAdmission.Admitted a -> {
                session.listener.metrics().sourceSessions.labelValues(session.listener.label(), sourceText).inc();
                session.releaseSource = a.release();
            }
        }
        session.phase = "BIND " + text;
        session.timer.arm(() -> session.refuse(Socks5CommandStatus.TTL_EXPIRED, "BIND " + text + " timed out"));
        ChannelFuture reg;
        try {
            reg = Outbound.register(session, source.getAddress(), true);
        } catch (RuntimeException e) {
            bindFailed(source, e);
            return;
        }
        Channel ch = reg.channel();
        session.outbound = ch;
        reg.addListener(r -> {
            if (!r.isSuccess()) {
                bindFailed(source, r.cause());
                return;
            }
            ch.bind(source).addListener(b -> {
                if (session.finished()) {
                    return;
                }
                if (!b.isSuccess()) {
                    bindFailed(source, b.cause());
                    return;
                }
                InetSocketAddress bound = (InetSocketAddress) ch.localAddress();
                session.boundSource = bound;
                session.state = Session.State.BOUND;
                replyAndGoOn(SocksReplies.success(ctx.alloc(), bound));
                awaitRequest();
                parse(); // a CONNECT the client sent right behind its BIND
            });
        });
    }

    private void bindFailed(InetSocketAddress source, Throwable cause) {
        session.refuse(ConnectFailures.replyFor(cause, null, null), "BIND " + IpLiterals.format(source) + " failed: " + cause);
    }

    private void connect(InetSocketAddress destination) {
        if (session.state == Session.State.CONNECTED) {
            session.refuse(Socks5CommandStatus.FAILURE, "CONNECT after CONNECT");
            return;
        }
        // Formatted once: the log line, the phase, the metric label and any refusal use the same text.
        String text = IpLiterals.format(destination);
        session.destination = destination; // in the session's log line, refused or not
        session.destinationText = text;
        java.util.Optional<String> rule = session.listener.policy().refuseConnect(session.identities, destination);
        if (rule.isPresent()) {
            session.refuse(Socks5CommandStatus.FORBIDDEN, "CONNECT " + text + " not allowed by " + rule.get());
            return;
        }
        session.phase = "CONNECT " + text;
        session.listener.metrics().outbound.labelValues(session.listener.label(), text).inc();
        session.timer.arm(() -> session.refuse(Socks5CommandStatus.TTL_EXPIRED,
                "CONNECT " + text + " timed out after " + session.timer.timeout()));
        ChannelFuture f;
        InetSocketAddress source = session.boundSource;
        if (session.state == Session.State.BOUND) {
            f = session.outbound.connect(destination);
        } else {
            try {
                f = Outbound.connect(session, destination);
            } catch (RuntimeException e) {
                connectFailed(source, destination, e);
                return;
            }
            session.outbound = f.channel();
        }
        f.addListener((ChannelFutureListener) c -> {
            if (session.finished()) {
                c.channel().close();
                return;
            }
            if (!c.isSuccess()) {
                connectFailed(source, destination, c.cause());
                return;
            }
            connected(c.channel());
        });
    }

    private void connectFailed(InetSocketAddress source, InetSocketAddress destination, Throwable cause) {
        Socks5CommandStatus status = ConnectFailures.replyFor(cause, source, destination);
        session.refuse(status, "CONNECT " + session.destinationText + " from "
                + IpLiterals.format(source) + " failed: " + cause);
    }

    private void connected(Channel outbound) {
        boolean bound = session.state == Session.State.BOUND;
        session.timer.cancel();
        session.state = Session.State.CONNECTED;
        // The transports read the local address once connect() has given the socket its port; after a BIND they
        // keep the bound one (port 0 with IP_BIND_ADDRESS_NO_PORT) and the socket is asked (one getsockname).
        InetSocketAddress local = bound || !(outbound.localAddress() instanceof InetSocketAddress known) || known.getPort() == 0
                ? Outbound.localAddress(outbound) : known;
        session.boundSource = local;
        replyAndGoOn(SocksReplies.success(ctx.alloc(), local));
        if (session.finished()) {
            return; // the reply's write failed at once (exceptionCaught ended the session)
        }
        Relay relay = Relay.create(session, outbound);
        // The relay's client side takes this handler's place; bytes the client sent ahead go to it first.
        ChannelPipeline p = ctx.pipeline();
        p.addLast(relay.clientSide());
        ByteBuf ahead = in;
        in = null;
        step = Step.DONE;
        if (ahead != null) {
            ctx.fireChannelRead(ahead);
        }
        p.remove(this);
        relay.start();
    }
}
