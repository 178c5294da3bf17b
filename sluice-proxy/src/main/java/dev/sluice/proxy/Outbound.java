package dev.sluice.proxy;

import dev.sluice.net.Transports;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
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

    static Bootstrap bootstrap(Session session, InetAddress family) {
        ProxyListenerConfig cfg = session.listener.config();
        Bootstrap b = Transports.clientBootstrap(family)
                .group(session.client.eventLoop())
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, cfg.timeout().toMillis()))
                .option(ChannelOption.RCVBUF_ALLOCATOR, new CountingRecvByteBufAllocator())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        cfg.tcpKeepalive().applyTo(ch);
                        EpollInterestGuard.pin(ch);
                    }
                });
        if (Transports.isEpoll()) {
            b.option(EpollChannelOption.IP_BIND_ADDRESS_NO_PORT, true);
        }
        return b;
    }
}
