package dev.sluice.proxy;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Shared plumbing of the decoder fuzz tests: feeds fuzzed bytes in fuzzed chunk sizes (a decoder must not depend
 * on where TCP cut the stream), collects what came out and checks that every buffer it was given was released.
 */
final class FuzzFeed {
    /** Inputs are bounded: a decoder that needs more than this to decide is a finding of its own. */
    static final int MAX_INPUT = 4096;

    private final List<ByteBuf> fed = new ArrayList<>();

    /** Writes {@code data} into {@code ch} in chunks whose sizes come from {@code sizes}. */
    void feed(EmbeddedChannel ch, byte[] data, byte[] sizes) {
        int pos = 0;
        int i = 0;
        while (pos < data.length && ch.isOpen()) {
            int size = sizes.length == 0 ? data.length : 1 + (sizes[i++ % sizes.length] & 0xff) % 64;
            int n = Math.min(size, data.length - pos);
            ByteBuf chunk = Unpooled.buffer(n).writeBytes(data, pos, n);
            fed.add(chunk);
            ch.writeInbound(chunk);
            pos += n;
        }
    }

    /** Every buffer written in was released by the pipeline (none leaked, none released twice). */
    void assertReleased() {
        for (ByteBuf b : fed) {
            if (b.refCnt() != 0) {
                throw new AssertionError("input buffer not released: refCnt " + b.refCnt());
            }
        }
    }

    static byte[] chunkSizes(FuzzedDataProvider data) {
        return data.consumeBytes(data.consumeInt(0, 8));
    }

    /** The readable bytes of {@code buf}, which is then released. */
    static byte[] drain(ByteBuf buf) {
        try {
            byte[] b = new byte[buf.readableBytes()];
            buf.readBytes(b);
            return b;
        } finally {
            buf.release();
        }
    }

    static void append(ByteArrayOutputStream out, ByteBuf buf) {
        out.writeBytes(drain(buf));
    }
}
