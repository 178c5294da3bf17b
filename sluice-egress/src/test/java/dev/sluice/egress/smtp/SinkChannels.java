package dev.sluice.egress.smtp;

import dev.sluice.net.Transports;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Plain connected channels to a test peer, as a Connector would hand them over (auto-read off). */
final class SinkChannels implements AutoCloseable {
    private final EventLoopGroup group = Transports.newEventLoopGroup(1);

    /** Records what the client wrote, one entry per flush, so tests can see whether commands were pipelined. */
    static final class WireLog extends ChannelDuplexHandler {
        final List<String> flushes = new CopyOnWriteArrayList<>();
        private final StringBuilder pending = new StringBuilder();

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof ByteBuf b) {
                synchronized (pending) {
                    pending.append(b.toString(b.readerIndex(), Math.min(b.readableBytes(), 4096), StandardCharsets.UTF_8));
                }
            }
            ctx.write(msg, promise);
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
            synchronized (pending) {
                if (!pending.isEmpty()) flushes.add(pending.toString());
                pending.setLength(0);
            }
            ctx.flush();
        }

        /** The flush that carried this command, e.g. "MAIL FROM". */
        String flushWith(String command) {
            return flushes.stream().filter(f -> f.contains(command)).findFirst()
                    .orElseThrow(() -> new AssertionError("never sent " + command + ": " + flushes));
        }
    }

    Channel connect(InetSocketAddress to) {
        return connect(to, null);
    }

    Channel connect(InetSocketAddress to, WireLog log) {
        return Transports.clientBootstrap(to.getAddress()).group(group).option(ChannelOption.AUTO_READ, false)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (log != null) ch.pipeline().addLast("wire-log", log);
                    }
                }).connect(to).syncUninterruptibly().channel();
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
}
