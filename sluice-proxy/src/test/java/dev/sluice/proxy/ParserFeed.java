package dev.sluice.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.function.Function;

/**
 * Feeds fuzzed bytes to one {@link Socks5Parser} method in fuzzed chunks, as {@link SocksHandshake} does: each chunk
 * is appended to the cumulation and the parser asked again. Checks what holds for every message: while it answers
 * null it consumes nothing; a malformed message consumes everything readable.
 */
record ParserFeed(Socks5Parser.Parsed parsed, byte[] rest) {

    static ParserFeed run(byte[] input, byte[] sizes, Function<ByteBuf, Socks5Parser.Parsed> parser) {
        ByteBuf in = Unpooled.buffer();
        try {
            int pos = 0;
            int i = 0;
            Socks5Parser.Parsed parsed = null;
            while (pos < input.length) {
                int size = sizes.length == 0 ? input.length : 1 + (sizes[i++ % sizes.length] & 0xff) % 64;
                int n = Math.min(size, input.length - pos);
                in.writeBytes(input, pos, n);
                pos += n;
                int before = in.readerIndex();
                parsed = parser.apply(in);
                if (parsed != null) {
                    break;
                }
                assertThat(in.readerIndex()).as("nothing consumed while incomplete").isEqualTo(before);
            }
            if (parsed instanceof Socks5Parser.Malformed) {
                assertThat(in.isReadable()).as("a malformed message consumes everything").isFalse();
            }
            byte[] rest = new byte[in.readableBytes() + input.length - pos];
            in.readBytes(rest, 0, in.readableBytes());
            System.arraycopy(input, pos, rest, rest.length - (input.length - pos), input.length - pos);
            return new ParserFeed(parsed, rest);
        } finally {
            in.release();
        }
    }

    /** The bytes after the message: what follows it in {@code input}. */
    void assertRestIsAfter(byte[] input, int length) {
        assertThat(rest).as("the bytes after the message are left as they came").isEqualTo(Arrays.copyOfRange(input, length, input.length));
    }
}
