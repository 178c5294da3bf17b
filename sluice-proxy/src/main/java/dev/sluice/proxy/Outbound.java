package dev.sluice.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelPromise;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Outbound sockets on the client's own event loop (splice needs both ends on one loop). BIND uses
 * IP_BIND_ADDRESS_NO_PORT so that binding an address does not reserve a port until connect(): thousands of
 * sessions per second from one source address do not exhaust its ports.
 *
 * <p>No Bootstrap per session: the socket is created, configured (keepalive included) before registration and
 * registered directly, which saves the Bootstrap's option maps, its resolver look-up and a ChannelInitializer
 * added to and removed from the pipeline of every outbound socket.
 */
final class Outbound {
    private Outbound() {}

    /**
     * A new socket registered on the session's event loop (done when this returns, as the caller runs on that loop).
     * A socket that cannot be created (no file descriptors left, say) throws; one that cannot be configured or
     * registered gives a failed future.
     *
     * @param bindFirst the socket is bound to a source address before connect (BIND): only then does
     *     IP_BIND_ADDRESS_NO_PORT matter, so CONNECT alone saves the setsockopt
     */
    static ChannelFuture register(Session session, InetAddress family, boolean bindFirst) {
        ProxyListenerConfig cfg = session.listener.config();
        ProxyTransport transport = ProxyTransport.of(session.client);
        SocketChannel ch = transport.socketChannelFactory(family).newChannel();
        EpollInterestGuard.pin(ch); // before registration: no epoll_ctl of its own
        try {
            ChannelConfig c = ch.config();
            c.setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
            c.setAutoRead(false);
            // TCP_NODELAY: Netty's socket channels set it themselves when created
            c.setConnectTimeoutMillis((int) Math.min(Integer.MAX_VALUE, cfg.timeout().toMillis()));
            c.setRecvByteBufAllocator(new CountingRecvByteBufAllocator());
            if (bindFirst && transport.bindsWithoutPort()) {
                if (transport == ProxyTransport.IO_URING) {
                    c.setOption(ProxyTransport.IP_BIND_ADDRESS_NO_PORT, 1);
                } else {
                    c.setOption(EpollChannelOption.IP_BIND_ADDRESS_NO_PORT, true);
                }
            }
            ListenerSocket.applyKeepalive(cfg.tcpKeepalive(), ch);
        } catch (RuntimeException e) {
            ch.unsafe().closeForcibly();
            return new DefaultChannelPromise(ch, session.client.eventLoop()).setFailure(e);
        }
        return session.client.eventLoop().register(ch);
    }

    /** A new socket connecting to {@code destination}; the future is that of the connect (or of a failed registration). */
    static ChannelFuture connect(Session session, InetSocketAddress destination) {
        ChannelFuture reg = register(session, destination.getAddress(), false);
        if (reg.isDone()) {
            return reg.isSuccess() ? reg.channel().connect(destination) : reg;
        }
        ChannelPromise connected = reg.channel().newPromise();
        reg.addListener(r -> {
            if (r.isSuccess()) {
                reg.channel().connect(destination, connected);
            } else {
                connected.setFailure(r.cause());
            }
        });
        return connected;
    }

    /**
     * The connected socket's own address. Channel.localAddress() caches what bind() returned (port 0 with
     * IP_BIND_ADDRESS_NO_PORT), and io_uring's channels answer from that cache even through their Unsafe: ask the
     * socket (getsockname).
     */
    static InetSocketAddress localAddress(Channel ch) {
        if (ch instanceof UnixChannel u && u.fd() instanceof Socket s && s.isOpen()) {
            try {
                return s.localAddress();
            } catch (RuntimeException e) {
                // closed under us: fall back to what the channel knows
            }
        }
        return (InetSocketAddress) ch.unsafe().localAddress();
    }
}
