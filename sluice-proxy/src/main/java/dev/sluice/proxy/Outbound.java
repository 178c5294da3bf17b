package dev.sluice.proxy;

import dev.sluice.net.Transports;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollChannelOption;
import java.net.InetAddress;

/**
 * Outbound sockets on the client's own event loop (splice needs both ends on one loop). BIND uses
 * IP_BIND_ADDRESS_NO_PORT so that binding an address does not reserve a port until connect(): thousands of
 * sessions per second from one source address do not exhaust its ports.
 */
final class Outbound {
    private Outbound() {}

    /**
     * @param bindFirst the socket is bound to a source address before connect (BIND): only then does
     *     IP_BIND_ADDRESS_NO_PORT matter, so CONNECT alone saves the setsockopt
     */
    static Bootstrap bootstrap(Session session, InetAddress family, boolean bindFirst) {
        ProxyListenerConfig cfg = session.listener.config();
        ChannelFactory<SocketChannel> sockets = Transports.socketChannelFactory(family);
        Bootstrap b = new Bootstrap()
                .channelFactory(() -> {
                    SocketChannel ch = sockets.newChannel();
                    EpollInterestGuard.pin(ch); // before registration: no epoll_ctl of its own
                    return ch;
                })
                .group(session.client.eventLoop())
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.AUTO_READ, false)
                // TCP_NODELAY: Netty's socket channels set it themselves when created
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, cfg.timeout().toMillis()))
                .option(ChannelOption.RCVBUF_ALLOCATOR, new CountingRecvByteBufAllocator())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        cfg.tcpKeepalive().applyTo(ch);
                    }
                });
        if (bindFirst && Transports.isEpoll()) {
            b.option(EpollChannelOption.IP_BIND_ADDRESS_NO_PORT, true);
        }
        return b;
    }
}
