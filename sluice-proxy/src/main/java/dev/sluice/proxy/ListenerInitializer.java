package dev.sluice.proxy;

import dev.sluice.net.IpLiterals;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets up each accepted connection: client ACL, keepalive, optional TLS, then the SOCKS greeting step. Called from
 * the server's one shared child initializer, so an accepted socket gets no second initializer (with its own
 * concurrent map) added to and removed from its pipeline, and one handshake handler for the whole handshake.
 */
final class ListenerInitializer {
    private static final Logger log = LoggerFactory.getLogger(ListenerInitializer.class);

    private ListenerInitializer() {}

    static void initChannel(Listener listener, SocketChannel ch) {
        InetSocketAddress peer = ch.remoteAddress();
        if (!listener.policy().clientAllowed(peer.getAddress())) {
            // Nothing is sent: an unknown client learns nothing about what listens here.
            log.info("proxy listener {} refused client {}: not in allowed_clients", listener.label(), IpLiterals.format(peer));
            ch.close();
            return;
        }
        ch.config().setRecvByteBufAllocator(new CountingRecvByteBufAllocator());
        EpollInterestGuard.pin(ch); // no-op when the listening channel pinned it before registration
        listener.socket().accepted(ch);
        Session session = new Session(listener, ch);
        if (listener.sslContext() != null) {
            SslHandler ssl = listener.sslContext().newHandler(ch.alloc());
            ssl.setHandshakeTimeoutMillis(listener.config().timeout().toMillis());
            ch.pipeline().addLast(ssl, new TlsGate(session));
        } else {
            startSocks(session);
        }
    }

    static void startSocks(Session session) {
        session.started();
        // One handler parses and answers the whole handshake (SocksHandshake); replies are bytes, no codec.
        session.client.pipeline().addLast(new SocksHandshake(session));
    }

    /** Waits for the TLS handshake; only then is the client a SOCKS session (KumoProxy counts it after TLS). */
    private static final class TlsGate extends ChannelInboundHandlerAdapter {
        private final Session session;

        TlsGate(Session session) {
            this.session = session;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent done) {
                if (done.isSuccess()) {
                    ctx.pipeline().remove(this);
                    startSocks(session);
                } else {
                    session.listener.metrics().tlsFailures.labelValues(session.listener.label()).inc();
                    log.info("proxy listener {} TLS handshake with {} failed: {}", session.listener.label(),
                            IpLiterals.format((InetSocketAddress) ctx.channel().remoteAddress()), done.cause().toString());
                    ctx.close();
                }
                return;
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
