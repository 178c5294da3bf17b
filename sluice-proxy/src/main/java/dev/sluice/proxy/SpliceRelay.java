package dev.sluice.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.epoll.AbstractEpollStreamChannel;
import io.netty.channel.epoll.EpollChannelConfig;
import io.netty.channel.epoll.EpollMode;
import java.nio.channels.ClosedChannelException;
import java.util.function.Consumer;

/**
 * Zero-copy relay with splice(2) through a kernel pipe. The only user of the epoll transport's spliceTo, which is
 * deprecated in Netty 4.2 but still present; it needs level-triggered epoll on both channels and one event loop.
 * EOF still reaches the pipeline as ChannelInputShutdownEvent (via EPOLLRDHUP), so {@link Relay} half-closes as
 * with copying; bytes are counted by {@link CountingRecvByteBufAllocator}.
 */
final class SpliceRelay {
    private SpliceRelay() {}

    @SuppressWarnings("deprecation")
    static void start(Channel client, Channel dest, Consumer<Throwable> onFailure) {
        AbstractEpollStreamChannel c = (AbstractEpollStreamChannel) client;
        AbstractEpollStreamChannel d = (AbstractEpollStreamChannel) dest;
        ((EpollChannelConfig) c.config()).setEpollMode(EpollMode.LEVEL_TRIGGERED);
        ((EpollChannelConfig) d.config()).setEpollMode(EpollMode.LEVEL_TRIGGERED);
        watch(c.spliceTo(d, Integer.MAX_VALUE), onFailure);
        watch(d.spliceTo(c, Integer.MAX_VALUE), onFailure);
    }

    private static void watch(ChannelFuture f, Consumer<Throwable> onFailure) {
        f.addListener(r -> {
            if (!r.isSuccess() && !(r.cause() instanceof ClosedChannelException)) {
                onFailure.accept(r.cause());
            }
        });
    }
}
