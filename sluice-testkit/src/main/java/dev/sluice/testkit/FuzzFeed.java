package dev.sluice.testkit;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledHeapByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Plumbing of the decoder and handler fuzz tests of every module: feeds fuzzed bytes in fuzzed chunk sizes (a
 * decoder must not depend on where TCP cut the stream), and an allocator that remembers every buffer the handler
 * under test allocated, so that a leak (or a double release) is an assertion, not a log line.
 */
public final class FuzzFeed {
    /** Inputs are bounded: a decoder that needs more than this to decide is a finding of its own. */
    public static final int MAX_INPUT = 4096;

    private final List<ByteBuf> buffers = new ArrayList<>();

    /** Hand this to the channel's config before the handler is added, to have its buffers checked too. */
    public final ByteBufAllocator allocator = new AbstractByteBufAllocator(false) {
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
    public void feed(EmbeddedChannel ch, byte[] data, byte[] sizes) {
        feed(ch, data, sizes, () -> false);
    }

    /**
     * Same, and stops once {@code done} says so, as a channel with autoRead off stops reading; returns the
     * number of bytes written.
     */
    public int feed(EmbeddedChannel ch, byte[] data, byte[] sizes, BooleanSupplier done) {
        int pos = 0;
        int i = 0;
        while (pos < data.length && ch.isOpen() && !done.getAsBoolean()) {
            int size = sizes.length == 0 ? data.length : 1 + (sizes[i++ % sizes.length] & 0xff) % 64;
            int n = Math.min(size, data.length - pos);
            ch.writeInbound(track(Unpooled.buffer(n).writeBytes(data, pos, n)));
            pos += n;
        }
        return pos;
    }

    /** Every buffer fed in or allocated by the handler has been released (none leaked, none released twice). */
    public void assertReleased() {
        for (ByteBuf b : buffers) {
            if (b.refCnt() != 0) {
                throw new AssertionError("buffer not released: refCnt " + b.refCnt() + ", capacity " + b.capacity());
            }
        }
    }

    /** Up to eight chunk sizes for {@link #feed}. */
    public static byte[] chunkSizes(FuzzedDataProvider data) {
        return data.consumeBytes(data.consumeInt(0, 8));
    }

    /** The readable bytes of {@code buf}, which is then released. */
    public static byte[] drain(ByteBuf buf) {
        try {
            byte[] b = new byte[buf.readableBytes()];
            buf.readBytes(b);
            return b;
        } finally {
            buf.release();
        }
    }

    public static void append(ByteArrayOutputStream out, ByteBuf buf) {
        out.writeBytes(drain(buf));
    }
}
