package dev.sluice.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.sluice.testkit.FuzzFeed;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The RFC 1929 username/password request ({@link Socks5Parser#credentials}, fed in chunks) against a model of the
 * RFC: version 1, ULEN, UNAME, PLEN, PASSWD, with strict UTF-8. A complete request with valid UTF-8 re-encodes to
 * the bytes it came from (so two different byte strings never reach the authenticator as the same credentials) and
 * leaves the bytes after it; a wrong version or invalid UTF-8 is malformed and consumes everything, however the
 * bytes are chunked; fewer bytes give nothing and consume nothing.
 */
class Rfc1929RequestFuzzTest {

    @FuzzTest(maxDuration = "4s")
    void passwordRequest(FuzzedDataProvider data) {
        byte[] sizes = FuzzFeed.chunkSizes(data);
        byte[] input = data.consumeRemainingAsBytes();
        if (input.length > FuzzFeed.MAX_INPUT) {
            return;
        }
        ParserFeed fed = ParserFeed.run(input, sizes, Socks5Parser::credentials);

        if (input.length < 2) {
            assertThat(fed.parsed()).isNull();
            return;
        }
        if (input[0] != 1) {
            assertMalformed(fed);
            return;
        }
        int ulen = input[1] & 0xff;
        if (input.length < 3 + ulen || input.length < 3 + ulen + (input[2 + ulen] & 0xff)) {
            assertThat(fed.parsed()).as("an incomplete request parses to nothing").isNull();
            return;
        }
        int plen = input[2 + ulen] & 0xff;
        int length = 3 + ulen + plen;
        if (!utf8(input, 2, ulen) || !utf8(input, 3 + ulen, plen)) {
            assertMalformed(fed);
            return;
        }
        assertThat(fed.parsed()).isInstanceOf(Socks5Parser.Credentials.class);
        Socks5Parser.Credentials c = (Socks5Parser.Credentials) fed.parsed();
        byte[] user = c.username().getBytes(StandardCharsets.UTF_8);
        byte[] password = c.password().getBytes(StandardCharsets.UTF_8);
        ByteBuffer encoded = ByteBuffer.allocate(3 + user.length + password.length);
        encoded.put((byte) 1).put((byte) user.length).put(user).put((byte) password.length).put(password);
        assertThat(encoded.array()).as("encode(parse(x)) == x").isEqualTo(Arrays.copyOf(input, length));
        fed.assertRestIsAfter(input, length);
    }

    private static void assertMalformed(ParserFeed fed) {
        assertThat(fed.parsed()).isInstanceOf(Socks5Parser.Malformed.class);
    }

    private static boolean utf8(byte[] b, int offset, int length) {
        try {
            StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(b, offset, length));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}
