package dev.sluice.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class TransportsTest {
    @Test
    void usesEpollOnLinux() {
        assertThat(Transports.isEpoll()).isTrue();
        assertThat(Transports.socketChannelClass()).isEqualTo(EpollSocketChannel.class);
    }

    @Test
    void keepaliveIsAppliedToTheSocket() throws Exception {
        EventLoopGroup group = Transports.newEventLoopGroup(1);
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getByName("127.0.0.61"))) {
            Channel ch = new Bootstrap().group(group).channelFactory(Transports.socketChannelFactory(server.getInetAddress()))
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(server.getLocalSocketAddress()).sync().channel();
            new TcpKeepalive(true, Duration.ofSeconds(120), Duration.ofSeconds(15), 4).applyTo(ch);
            assertThat(ch.config().getOption(ChannelOption.SO_KEEPALIVE)).isTrue();
            assertThat(ch.config().getOption(EpollChannelOption.TCP_KEEPIDLE)).isEqualTo(120);
            assertThat(ch.config().getOption(EpollChannelOption.TCP_KEEPINTVL)).isEqualTo(15);
            assertThat(ch.config().getOption(EpollChannelOption.TCP_KEEPCNT)).isEqualTo(4);
            assertThat(((InetSocketAddress) ch.localAddress()).getAddress()).isInstanceOf(java.net.Inet4Address.class);
            ch.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void disabledKeepaliveLeavesTheKernelDefault() throws Exception {
        EventLoopGroup group = Transports.newEventLoopGroup(1);
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getByName("127.0.0.61"))) {
            Channel ch = new Bootstrap().group(group).channel(Transports.socketChannelClass())
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(server.getLocalSocketAddress()).sync().channel();
            TcpKeepalive.DISABLED.applyTo(ch);
            assertThat(ch.config().getOption(ChannelOption.SO_KEEPALIVE)).isFalse();
            ch.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
        }
    }
}
