package dev.sluice.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.sluice.testkit.FuzzFeed;
import java.io.ByteArrayOutputStream;
import java.net.Inet4Address;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The SOCKS5 request (RFC 1928 section 4) as the proxy parses it ({@link Socks5Parser#request}, fed in chunks as
 * {@link SocksHandshake} feeds it), against a model: VER 5, CMD, RSV, ATYP 1/3/4, the address, the port. A version
 * other than 5 or another address type is malformed (the latter flagged for reply 0x08) and consumes everything,
 * within a bounded number of bytes; a complete request re-encodes to the bytes it came from (RSV as 0) and leaves
 * the bytes after it; fewer bytes give nothing and consume nothing.
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
        ParserFeed fed = ParserFeed.run(input, sizes, Socks5Parser::request);

        int length = modelLength(input); // -1: invalid, 0: incomplete
        if (length == 0) {
            assertThat(fed.parsed()).as("an incomplete request parses to nothing").isNull();
            return;
        }
        if (length < 0) {
            assertThat(fed.parsed()).isInstanceOf(Socks5Parser.Malformed.class);
            assertThat(((Socks5Parser.Malformed) fed.parsed()).addressType()).isEqualTo(input[0] == 5);
            return;
        }
        assertThat(fed.parsed()).isInstanceOf(Socks5Parser.Request.class);
        Socks5Parser.Request req = (Socks5Parser.Request) fed.parsed();
        assertThat(req.command()).isEqualTo(input[1] & 0xff);
        assertThat(req.addressType()).isEqualTo(input[3] & 0xff);
        assertThat(req.port()).isEqualTo(((input[length - 2] & 0xff) << 8) | (input[length - 1] & 0xff));
        if (input[2] == 0) {
            assertThat(encode(req)).as("encode(parse(x)) == x").isEqualTo(Arrays.copyOf(input, length));
        }
        fed.assertRestIsAfter(input, length);
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
            }
            default -> {
                return -1;
            }
        }
        assertThat(length).isLessThanOrEqualTo(LONGEST);
        return b.length < length ? 0 : length;
    }

    private static byte[] encode(Socks5Parser.Request req) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(5);
        out.write(req.command());
        out.write(0);
        out.write(req.addressType());
        switch (req.addressType()) {
            case 3 -> {
                byte[] name = req.domain().getBytes(StandardCharsets.ISO_8859_1);
                out.write(name.length);
                out.writeBytes(name);
            }
            case 4 -> {
                byte[] ip = req.address().getAddress();
                if (req.address() instanceof Inet4Address) { // an IPv4-mapped IPv6 address comes back as IPv4
                    out.writeBytes(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff});
                }
                out.writeBytes(ip);
            }
            default -> out.writeBytes(req.address().getAddress());
        }
        out.write(req.port() >> 8);
        out.write(req.port() & 0xff);
        return out.toByteArray();
    }
}
