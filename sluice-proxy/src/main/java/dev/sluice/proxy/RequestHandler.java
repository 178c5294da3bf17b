package dev.sluice.proxy;

import dev.sluice.net.IpLiterals;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.socksx.v5.Socks5AddressType;
import io.netty.handler.codec.socksx.v5.Socks5CommandRequest;
import io.netty.handler.codec.socksx.v5.Socks5CommandRequestDecoder;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * One SOCKS5 request. KumoProxy's convention: BIND(ip, port) pins the egress source (a bound, not listening,
 * socket) and the following CONNECT connects that socket; CONNECT alone lets the kernel pick the source.
 * A success reply carries the outbound socket's local ip:port. Any failure reply ends the session.
 */
final class RequestHandler extends SocksStep {
    private boolean busy;

    RequestHandler(Session session, Socks5CommandRequestDecoder decoder) {
        super(session, decoder);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        session.phase = session.state == Session.State.BOUND ? "the request after BIND" : "the request";
        session.timer.arm(() -> session.fail("timeout waiting for a request"));
    }

    @Override
    boolean waitingForClient() {
        return !busy;
    }

    @Override
    void onMessage(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Socks5CommandRequest req) || busy) {
            session.fail("unexpected message while a request is in progress");
            return;
        }
        if (req.decoderResult().isFailure()) {
            Throwable cause = req.decoderResult().cause();
            String text = String.valueOf(cause.getMessage());
            Socks5CommandStatus status = text.contains("unsupported address type")
                    ? Socks5CommandStatus.ADDRESS_UNSUPPORTED : Socks5CommandStatus.FAILURE;
            ctx.writeAndFlush(SocksReplies.failure(ctx.alloc(), status));
            session.fail("malformed request: " + text);
            return;
        }
        Socks5CommandType type = req.type();
        if (type.equals(Socks5CommandType.UDP_ASSOCIATE) || !(type.equals(Socks5CommandType.BIND) || type.equals(Socks5CommandType.CONNECT))) {
            session.refuse(Socks5CommandStatus.COMMAND_UNSUPPORTED, "command " + type + " is not supported");
            return;
        }
        if (req.dstAddrType().equals(Socks5AddressType.DOMAIN)) {
            session.refuse(Socks5CommandStatus.ADDRESS_UNSUPPORTED, "domain name " + req.dstAddr() + " in " + type + " (the client resolves names)");
            return;
        }
        Optional<InetAddress> ip = IpLiterals.parse(req.dstAddr());
        if (ip.isEmpty()) {
            session.refuse(Socks5CommandStatus.FAILURE, "unparseable address " + req.dstAddr());
            return;
        }
        InetSocketAddress target = new InetSocketAddress(ip.get(), req.dstPort());
        if (type.equals(Socks5CommandType.BIND)) {
            bind(ctx, target);
        } else {
            connect(ctx, target);
        }
    }

    private void bind(ChannelHandlerContext ctx, InetSocketAddress source) {
        if (session.state != Session.State.NONE) {
            session.refuse(Socks5CommandStatus.FAILURE, "BIND after " + session.state);
            return;
        }
        Optional<String> rule = session.listener.policy().refuseBind(session.identities, source.getAddress());
        if (rule.isPresent()) {
            session.refuse(Socks5CommandStatus.FORBIDDEN, "BIND " + IpLiterals.format(source) + " not allowed by " + rule.get());
            return;
        }
        String sourceText = IpLiterals.format(IpLiterals.unmapV4(source.getAddress()));
        switch (session.listener.policy().admitSource(session.identities, source.getAddress())) {
            case SourceAdmission.Refused r -> {
                session.listener.metrics().sourceRefusals.labelValues(session.listener.label(), sourceText, r.limit()).inc();
                session.refuse(Socks5CommandStatus.FORBIDDEN, "BIND " + IpLiterals.format(source) + " refused: over " + r.rule());
                return;
            }
            case SourceAdmission.Admitted a -> {
                session.listener.metrics().sourceSessions.labelValues(session.listener.label(), sourceText).inc();
                session.releaseSource = a.release();
            }
        }
        busy = true;
        session.phase = "BIND " + IpLiterals.format(source);
        session.timer.arm(() -> session.refuse(Socks5CommandStatus.TTL_EXPIRED, "BIND " + IpLiterals.format(source) + " timed out"));
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
                ctx.writeAndFlush(SocksReplies.success(ctx.alloc(), bound));
                var next = new Socks5CommandRequestDecoder();
                advance(ctx, next, new RequestHandler(session, next));
            });
        });
    }

    private void bindFailed(InetSocketAddress source, Throwable cause) {
        session.refuse(ConnectFailures.replyFor(cause, null, null), "BIND " + IpLiterals.format(source) + " failed: " + cause);
    }

    private void connect(ChannelHandlerContext ctx, InetSocketAddress destination) {
        if (session.state == Session.State.CONNECTED) {
            session.refuse(Socks5CommandStatus.FAILURE, "CONNECT after CONNECT");
            return;
        }
        session.destination = destination; // in the session's log line, refused or not
        Optional<String> rule = session.listener.policy().refuseConnect(session.identities, destination);
        if (rule.isPresent()) {
            session.refuse(Socks5CommandStatus.FORBIDDEN, "CONNECT " + IpLiterals.format(destination) + " not allowed by " + rule.get());
            return;
        }
        busy = true;
        session.phase = "CONNECT " + IpLiterals.format(destination);
        session.listener.metrics().outbound.labelValues(session.listener.label(), IpLiterals.format(destination)).inc();
        session.timer.arm(() -> session.refuse(Socks5CommandStatus.TTL_EXPIRED,
                "CONNECT " + IpLiterals.format(destination) + " timed out after " + session.timer.timeout()));
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
            connected(ctx, c.channel());
        });
    }

    private void connectFailed(InetSocketAddress source, InetSocketAddress destination, Throwable cause) {
        Socks5CommandStatus status = ConnectFailures.replyFor(cause, source, destination);
        session.refuse(status, "CONNECT " + IpLiterals.format(destination) + " from "
                + IpLiterals.format(source) + " failed: " + cause);
    }

    private void connected(ChannelHandlerContext ctx, Channel outbound) {
        session.timer.cancel();
        session.state = Session.State.CONNECTED;
        InetSocketAddress local = Outbound.localAddress(outbound);
        session.boundSource = local;
        ctx.writeAndFlush(SocksReplies.success(ctx.alloc(), local));
        Relay relay = Relay.create(session, outbound);
        advance(ctx, null, relay.clientSide());
        relay.start();
    }
}
