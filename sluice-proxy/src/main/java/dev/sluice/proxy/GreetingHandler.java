package dev.sluice.proxy;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.socksx.v5.Socks5AuthMethod;
import io.netty.handler.codec.socksx.v5.Socks5CommandRequestDecoder;
import io.netty.handler.codec.socksx.v5.Socks5InitialRequest;
import io.netty.handler.codec.socksx.v5.Socks5InitialRequestDecoder;

/**
 * Method selection. With an authenticator, KumoProxy's order: username/password offered → always sub-negotiate
 * (even when auth is not required); else require_auth → 0xFF; else "no auth" offered → 0x00; else 0xFF. Without
 * one, nothing could check a password, so it is never asked for: "no auth" offered → 0x00, else 0xFF
 * (require_auth without an authenticator is refused when the server is built).
 */
final class GreetingHandler extends SocksStep {

    GreetingHandler(Session session, Socks5InitialRequestDecoder decoder) {
        super(session, decoder);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        session.timer.arm(() -> session.fail("timeout waiting for the greeting"));
    }

    /** A greeting is answered (or fails) as soon as it is whole: until then the client owes bytes. */
    @Override
    boolean waitingForClient() {
        return true;
    }

    @Override
    void onMessage(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Socks5InitialRequest greeting)) {
            session.fail("unexpected message " + msg);
            return;
        }
        if (greeting.decoderResult().isFailure()) {
            // RFC 1928 has no reply for a greeting we cannot parse (e.g. SOCKS4): just close.
            session.fail("malformed greeting: " + greeting.decoderResult().cause().getMessage());
            return;
        }
        var methods = greeting.authMethods();
        boolean canCheckPasswords = session.listener.authenticator() != null;
        if (canCheckPasswords && methods.contains(Socks5AuthMethod.PASSWORD)) {
            ctx.writeAndFlush(SocksReplies.method(ctx.alloc(), Socks5AuthMethod.PASSWORD));
            var next = new Rfc1929RequestDecoder();
            advance(ctx, next, new PasswordAuthHandler(session, next));
        } else if (session.listener.config().requireAuth()) {
            session.timer.cancel();
            ctx.writeAndFlush(SocksReplies.method(ctx.alloc(), Socks5AuthMethod.UNACCEPTED)).addListener(ChannelFutureListener.CLOSE);
            session.fail("require_auth and the client offered no username/password");
        } else if (methods.contains(Socks5AuthMethod.NO_AUTH)) {
            ctx.writeAndFlush(SocksReplies.method(ctx.alloc(), Socks5AuthMethod.NO_AUTH));
            var next = new Socks5CommandRequestDecoder();
            advance(ctx, next, new RequestHandler(session, next));
        } else {
            ctx.writeAndFlush(SocksReplies.method(ctx.alloc(), Socks5AuthMethod.UNACCEPTED)).addListener(ChannelFutureListener.CLOSE);
            session.fail("no acceptable authentication method offered: " + methods
                    + (canCheckPasswords ? "" : " (no authenticator: username/password is not offered)"));
        }
    }
}
