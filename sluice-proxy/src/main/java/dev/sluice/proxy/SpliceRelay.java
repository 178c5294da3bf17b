package dev.sluice.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.unix.UnixChannel;
import java.io.IOException;
import java.nio.ByteBuffer;
import io.netty.channel.ChannelFuture;
import io.netty.channel.epoll.AbstractEpollStreamChannel;
import java.nio.channels.ClosedChannelException;
import java.util.function.Consumer;

/**
 * Zero-copy relay with splice(2) through a kernel pipe. The only user of the epoll transport's spliceTo, which is
 * deprecated in Netty 4.2 but still present; it needs both channels on one event loop (each direction starts
 * splicing on its own, see {@link Relay}) (4.2 epoll is always
 * level-triggered, as spliceTo requires).
 * EOF still reaches the pipeline as ChannelInputShutdownEvent (via EPOLLRDHUP), so {@link Relay} half-closes as
 * with copying; bytes are counted by {@link CountingRecvByteBufAllocator}.
 */
final class SpliceRelay {
    private SpliceRelay() {}

    /** Splices everything {@code source} reads from now on into {@code target}. */
    @SuppressWarnings("deprecation")
    static void start(Channel source, Channel target, Consumer<Throwable> onFailure) {
        watch(((AbstractEpollStreamChannel) source).spliceTo((AbstractEpollStreamChannel) target, Integer.MAX_VALUE), onFailure);
    }

    /**
     * Reads what is left in a socket whose input Netty has just shut down at EOF. Netty's splice loop stops at the
     * first EAGAIN of the 64 KiB pipe and then, seeing RDHUP, shuts the input down; the kernel still returns the
     * queued bytes after SHUT_RD, so we read them in user space (up to EOF, which the queue ends with).
     */
    static ByteBuf drainAfterEof(Channel source) {
        ByteBuf out = source.alloc().directBuffer(0);
        if (!(source instanceof UnixChannel ch) || !ch.isOpen()) {
            return out;
        }
        ByteBuffer chunk = ByteBuffer.allocateDirect(64 * 1024);
        try {
            for (int i = 0; i < MAX_DRAIN_CHUNKS; i++) {
                chunk.clear();
                int n = ch.fd().read(chunk, 0, chunk.capacity());
                if (n <= 0) {
                    break; // -1 EOF, 0 nothing more now
                }
                chunk.limit(n);
                out.writeBytes(chunk);
            }
        } catch (IOException e) {
            // The relay will see the error on its next operation; keep what we have.
        }
        return out;
    }

    /** A socket receive queue is a few MiB at most; this bounds the loop well above that. */
    private static final int MAX_DRAIN_CHUNKS = 4096;

    private static void watch(ChannelFuture f, Consumer<Throwable> onFailure) {
        f.addListener(r -> {
            if (!r.isSuccess() && !(r.cause() instanceof ClosedChannelException)) {
                onFailure.accept(r.cause());
            }
        });
    }
}
