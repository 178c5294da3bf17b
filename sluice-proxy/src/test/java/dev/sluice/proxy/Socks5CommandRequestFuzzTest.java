package dev.sluice.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.sluice.testkit.FuzzFeed;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.socksx.v5.Socks5AddressType;
import io.netty.handler.codec.socksx.v5.Socks5CommandRequest;
import io.netty.handler.codec.socksx.v5.Socks5CommandRequestDecoder;
import java.io.ByteArrayOutputStream;
import java.net.IDN;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The SOCKS5 request (RFC 1928 section 4) as the proxy decodes it (Netty's {@link Socks5CommandRequestDecoder},
 * as {@link GreetingHandler} and {@link PasswordAuthHandler} install it), against a model: VER 5, CMD, RSV, ATYP
 * 1/3/4, the address, the port; a domain name (its octets read as ISO-8859-1) that IDN.toASCII refuses is
 * invalid, as Netty's decoder says. A complete valid request is exactly one successful message; its re-encoding is the
 * bytes it came from (for printable-ASCII names IDN leaves alone) and the bytes after it pass through. A failed message only for a request the model calls invalid,
 * and nothing after it. Every input buffer is released, whatever the chunking.
 */
class Socks5CommandRequestFuzzTest {
    private static final int LONGEST = 4 + 1 + 255 + 2;

    @FuzzTest(maxDuration = "4s")
    void commandRequest(FuzzedDataProvider data) {
        byte[] sizes = FuzzFeed.chunkSizes(data);
        byte[] input = data.consumeRemainingAsBytes();
        if (input.length > FuzzFeed.MAX_INPUT) {
            return;
        }
        EmbeddedChannel ch = new EmbeddedChannel(new Socks5CommandRequestDecoder());
        FuzzFeed feed = new FuzzFeed();
        feed.feed(ch, input, sizes);

        Socks5CommandRequest message = null;
        ByteArrayOutputStream passed = new ByteArrayOutputStream();
        int messages = 0;
        for (Object o; (o = ch.readInbound()) != null; ) {
            if (o instanceof ByteBuf b) {
                assertThat(message).as("bytes pass through only after the request").isNotNull();
                assertThat(message.decoderResult().isSuccess()).as("nothing passes after a failure").isTrue();
                FuzzFeed.append(passed, b);
            } else {
                assertThat(passed.size()).isZero();
                message = (Socks5CommandRequest) o;
                messages++;
            }
        }
        ch.finishAndReleaseAll();
        feed.assertReleased();
        assertThat(messages).isLessThanOrEqualTo(1);

        int length = modelLength(input); // -1: invalid, 0: incomplete
        if (messages == 1 && message.decoderResult().isFailure()) {
            assertThat(length).as("failed on a request the model takes").isEqualTo(-1);
            return;
        }
        if (messages == 0) {
            assertThat(length).as("a complete request decodes").isLessThanOrEqualTo(0);
            if (length < 0) {
                assertThat(input.length).as("an invalid request is refused in bounded bytes").isLessThan(LONGEST);
            }
            return;
        }
        assertThat(length).as("decoded a request the model refuses or lacks bytes for").isPositive();
        int atyp = input[3] & 0xff;
        assertThat(message.dstAddrType()).isEqualTo(Socks5AddressType.valueOf(input[3]));
        assertThat(message.dstPort()).isEqualTo(((input[length - 2] & 0xff) << 8) | (input[length - 1] & 0xff));
        boolean canonical = input[2] == 0 && (atyp != 3 || printableAscii(input, 5, input[4] & 0xff)
                && IDN.toASCII(message.dstAddr()).equals(message.dstAddr()));
        // (RSV is ignored on reading and written as 0)
        if (canonical) {
            assertThat(Socks5GreetingFuzzTest.encode(message)).as("encode(decode(x)) == x")
                    .isEqualTo(Arrays.copyOf(input, length));
        }
        assertThat(passed.toByteArray()).isEqualTo(Arrays.copyOfRange(input, length, input.length));
    }

    /** Bytes of the request at the start of {@code b}; 0 while incomplete, -1 when invalid. */
    private static int modelLength(byte[] b) {
        if (b.length >= 1 && b[0] != 5) {
            return -1;
        }
        if (b.length < 4) {
            return 0;
        }
        int length;
        switch (b[3]) {
            case 1 -> length = 4 + 4 + 2;
            case 4 -> length = 4 + 16 + 2;
            case 3 -> {
                if (b.length < 5) {
                    return 0;
                }
                length = 4 + 1 + (b[4] & 0xff) + 2;
                // Netty reads the name octets one char each (as ISO-8859-1), then applies IDN.toASCII
                if (b.length >= length && !idnValid(new String(b, 5, b[4] & 0xff, StandardCharsets.ISO_8859_1))) {
                    return -1; // Netty's DefaultSocks5CommandRequest refuses what IDN.toASCII refuses
                }
            }
            default -> {
                return -1;
            }
        }
        return b.length < length ? 0 : length;
    }

    private static boolean idnValid(String domain) {
        try {
            return IDN.toASCII(domain).length() <= 255;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static boolean printableAscii(byte[] b, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            if (b[i] < 0x20 || b[i] > 0x7e) {
                return false;
            }
        }
        return true;
    }
}
