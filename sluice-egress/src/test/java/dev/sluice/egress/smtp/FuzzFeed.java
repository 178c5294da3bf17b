package dev.sluice.egress.smtp;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledHeapByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * Plumbing of the fuzz tests in this package: feeds bytes in fuzzed chunk sizes, and an allocator that
 * remembers every buffer the handler under test allocated, so that a leak is an assertion, not a log line.
 */
final class FuzzFeed {
    static final int MAX_INPUT = 4096;

    private final List<ByteBuf> buffers = new ArrayList<>();

    /** Hand this to the channel's config before the handler is added. */
    final ByteBufAllocator allocator = new AbstractByteBufAllocator(false) {
        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            return track(new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity));
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            return newHeapBuffer(initialCapacity, maxCapacity);
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
    };

    private ByteBuf track(ByteBuf b) {
        buffers.add(b);
        return b;
    }

    /** Writes {@code data} in chunks whose sizes come from {@code sizes}; stops when the channel closes. */
    void feed(EmbeddedChannel ch, byte[] data, byte[] sizes) {
        int pos = 0;
        int i = 0;
        while (pos < data.length && ch.isOpen()) {
            int size = sizes.length == 0 ? data.length : 1 + (sizes[i++ % sizes.length] & 0xff) % 64;
            int n = Math.min(size, data.length - pos);
            ch.writeInbound(track(Unpooled.buffer(n).writeBytes(data, pos, n)));
            pos += n;
        }
    }

    /** Every buffer fed in or allocated by the handler has been released. */
    void assertReleased() {
        for (ByteBuf b : buffers) {
            if (b.refCnt() != 0) {
                throw new AssertionError("buffer not released: refCnt " + b.refCnt() + ", capacity " + b.capacity());
            }
        }
    }

    static byte[] drain(ByteBuf buf) {
        try {
            byte[] b = new byte[buf.readableBytes()];
            buf.readBytes(b);
            return b;
        } finally {
            buf.release();
        }
    }
}
