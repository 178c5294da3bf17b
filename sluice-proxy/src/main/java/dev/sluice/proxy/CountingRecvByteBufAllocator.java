package dev.sluice.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;

/**
 * Counts every byte the transport reads from a socket, including bytes the epoll transport moves with
 * splice(2): its splice loop reports each chunk through the read handle. That is the only way to learn how
 * many bytes a splice relay moved, so it must be set on a channel before its first read.
 */
final class CountingRecvByteBufAllocator implements RecvByteBufAllocator {
    private final RecvByteBufAllocator delegate = new AdaptiveRecvByteBufAllocator();
    private long bytes;

    /** Bytes read so far (event-loop confined). */
    long bytes() {
        return bytes;
    }

    static long bytesOf(Channel ch) {
        return ch.config().getRecvByteBufAllocator() instanceof CountingRecvByteBufAllocator c ? c.bytes : 0;
    }

    @Override
    public Handle newHandle() {
        return new Counting((ExtendedHandle) delegate.newHandle());
    }

    private final class Counting implements ExtendedHandle {
        private final ExtendedHandle d;

        Counting(ExtendedHandle d) {
            this.d = d;
        }

        @Override
        public void lastBytesRead(int n) {
            if (n > 0) {
                bytes += n;
            }
            d.lastBytesRead(n);
        }

        @Override public ByteBuf allocate(ByteBufAllocator alloc) { return d.allocate(alloc); }
        @Override public int guess() { return d.guess(); }
        @Override public void reset(ChannelConfig config) { d.reset(config); }
        @Override public void incMessagesRead(int numMessages) { d.incMessagesRead(numMessages); }
        @Override public int lastBytesRead() { return d.lastBytesRead(); }
        @Override public void attemptedBytesRead(int n) { d.attemptedBytesRead(n); }
        @Override public int attemptedBytesRead() { return d.attemptedBytesRead(); }
        @Override public boolean continueReading() { return d.continueReading(); }
        @Override public boolean continueReading(UncheckedBooleanSupplier maybeMore) { return d.continueReading(maybeMore); }
        @Override public void readComplete() { d.readComplete(); }
    }
}
