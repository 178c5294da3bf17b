package dev.sluice.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.sluice.testkit.FuzzFeed;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * The SOCKS5 greeting as the proxy parses it ({@link Socks5Parser#greeting}, fed in chunks as {@link SocksHandshake}
 * feeds it), checked against a model of RFC 1928 section 3: version 5, a method count (1-255), that many methods.
 * Whatever the chunking: a version other than 5 or no methods is malformed and consumes everything; a complete
 * greeting's re-encoding is exactly the bytes it came from, and the bytes after it are left untouched; fewer bytes
 * give nothing and consume nothing.
 */
class Socks5GreetingFuzzTest {

    @FuzzTest(maxDuration = "4s")
    void greeting(FuzzedDataProvider data) {
        byte[] sizes = FuzzFeed.chunkSizes(data);
        byte[] input = data.consumeRemainingAsBytes();
        if (input.length > FuzzFeed.MAX_INPUT) {
            return;
        }
        ParserFeed fed = ParserFeed.run(input, sizes, Socks5Parser::greeting);

        if (input.length == 0) {
            assertThat(fed.parsed()).isNull();
            return;
        }
        if (input[0] != 5 || (input.length >= 2 && input[1] == 0)) {
            // RFC 1928: NMETHODS is 1 to 255
            assertThat(fed.parsed()).isInstanceOf(Socks5Parser.Malformed.class);
            return;
        }
        int length = input.length < 2 ? Integer.MAX_VALUE : 2 + (input[1] & 0xff);
        if (input.length < length) {
            assertThat(fed.parsed()).as("an incomplete greeting parses to nothing").isNull();
            return;
        }
        assertThat(fed.parsed()).isInstanceOf(Socks5Parser.Greeting.class);
        Socks5Parser.Greeting g = (Socks5Parser.Greeting) fed.parsed();
        ByteArrayOutputStream encoded = new ByteArrayOutputStream();
        encoded.write(5);
        encoded.write(g.methods().length);
        encoded.writeBytes(g.methods());
        assertThat(encoded.toByteArray()).as("encode(parse(x)) == x").isEqualTo(Arrays.copyOf(input, length));
        for (int i = 2; i < length; i++) {
            assertThat(g.offers(input[i] & 0xff)).isTrue();
        }
        fed.assertRestIsAfter(input, length);
    }
}
