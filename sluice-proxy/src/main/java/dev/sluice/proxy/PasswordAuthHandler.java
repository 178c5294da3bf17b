package dev.sluice.proxy;

import dev.sluice.net.IpLiterals;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.socksx.v5.Socks5CommandRequestDecoder;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthRequest;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * RFC 1929 sub-negotiation. The authenticator runs off the event loop; its answer is handed back to the
 * event loop. Granted with at least one identity → {@code 01 00}; anything else (denied, error, no
 * authenticator, no answer within the step timeout) → {@code 01 01} and close.
 */
final class PasswordAuthHandler extends SocksStep {
    /** Netty's FAILURE constant is 0xFF; KumoProxy and most servers answer {@code 01 01}. */
    private static final int RFC1929_FAILURE = 0x01;
    private boolean waiting;

    PasswordAuthHandler(Session session, Rfc1929RequestDecoder decoder) {
        super(session, decoder);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        session.phase = "authentication";
        session.timer.arm(() -> session.fail("timeout waiting for the username/password request"));
    }

    @Override
    boolean waitingForClient() {
        return !waiting;
    }

    @Override
    void onMessage(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Socks5PasswordAuthRequest req) || waiting) {
            session.fail("unexpected message during authentication");
            return;
        }
        if (req.decoderResult().isFailure()) {
            deny(ctx, "malformed username/password request: " + req.decoderResult().cause().getMessage(), true);
            return;
        }
        waiting = true;
        session.timer.arm(() -> deny(ctx, "authenticator did not answer within " + session.timer.timeout(), true));
        Map<String, String> meta = Map.of(
                "peer_address", format(ctx.channel().remoteAddress()),
                "local_address", format(ctx.channel().localAddress()));
        Authenticator auth = session.listener.authenticator() == null ? Authenticator.DENY_ALL : session.listener.authenticator();
        CompletableFuture<AuthDecision> decision;
        try {
            decision = auth.authenticate(req.username(), req.password(), meta);
        } catch (RuntimeException e) {
            decision = CompletableFuture.failedFuture(e);
        }
        String user = req.username();
        decision.whenComplete((d, err) -> ctx.executor().execute(() -> decided(ctx, user, d, err)));
    }

    private static String format(java.net.SocketAddress a) {
        return a instanceof InetSocketAddress i ? IpLiterals.format(i) : String.valueOf(a);
    }

    private void decided(ChannelHandlerContext ctx, String user, AuthDecision d, Throwable err) {
        if (session.finished() || ctx.isRemoved()) {
            return;
        }
        if (err != null) {
            deny(ctx, "authenticator failed for user " + user + ": " + err, true);
        } else if (d instanceof AuthDecision.Granted g && !g.identities().isEmpty()) {
            session.identities = g.identities();
            ctx.writeAndFlush(SocksReplies.passwordStatus(ctx.alloc(), 0));
            var next = new Socks5CommandRequestDecoder();
            advance(ctx, next, new RequestHandler(session, next));
        } else {
            deny(ctx, "authentication denied for user " + user, false);
        }
    }

    private void deny(ChannelHandlerContext ctx, String reason, boolean error) {
        if (session.finished()) {
            return;
        }
        session.timer.cancel();
        ctx.writeAndFlush(SocksReplies.passwordStatus(ctx.alloc(), RFC1929_FAILURE)).addListener(ChannelFutureListener.CLOSE);
        session.fail(reason);
    }
}
