package dev.sluice.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.sluice.testkit.FuzzFeed;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.socksx.v5.Socks5AuthMethod;
import io.netty.handler.codec.socksx.v5.Socks5ClientEncoder;
import io.netty.handler.codec.socksx.v5.Socks5InitialRequest;
import io.netty.handler.codec.socksx.v5.Socks5InitialRequestDecoder;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * The SOCKS5 greeting as the proxy decodes it (Netty's {@link Socks5InitialRequestDecoder}, as
 * {@link ListenerInitializer} installs it), checked against a model of RFC 1928 section 3: version 5, a method
 * count (1-255), that many methods. Whatever the chunking: a version other than 5 or no methods is one failed
 * message and nothing after it; a complete greeting is one message whose re-encoding is exactly the bytes it came from, and the bytes
 * after it pass through untouched; fewer bytes give nothing. Every input buffer is released.
 */
class Socks5GreetingFuzzTest {

    @FuzzTest(maxDuration = "4s")
    void greeting(FuzzedDataProvider data) {
        byte[] sizes = FuzzFeed.chunkSizes(data);
        byte[] input = data.consumeRemainingAsBytes();
        if (input.length > FuzzFeed.MAX_INPUT) {
            return;
        }
        EmbeddedChannel ch = new EmbeddedChannel(new Socks5InitialRequestDecoder());
        FuzzFeed feed = new FuzzFeed();
        feed.feed(ch, input, sizes);

        Socks5InitialRequest message = null;
        ByteArrayOutputStream passed = new ByteArrayOutputStream();
        int messages = 0;
        for (Object o; (o = ch.readInbound()) != null; ) {
            if (o instanceof ByteBuf b) {
                assertThat(message).as("bytes pass through only after the greeting").isNotNull();
                FuzzFeed.append(passed, b);
            } else {
                assertThat(passed.size()).as("nothing after the pass-through bytes").isZero();
                message = (Socks5InitialRequest) o;
                messages++;
            }
        }
        ch.finishAndReleaseAll();
        feed.assertReleased();

        if (input.length == 0) {
            assertThat(messages).isZero();
            return;
        }
        if (input[0] != 5 || (input.length >= 2 && input[1] == 0)) {
            // RFC 1928: NMETHODS is 1 to 255; Netty refuses a greeting without methods
            assertThat(messages).isEqualTo(1);
            assertThat(message.decoderResult().isFailure()).isTrue();
            assertThat(passed.size()).isZero();
            return;
        }
        int length = input.length < 2 ? Integer.MAX_VALUE : 2 + (input[1] & 0xff);
        if (input.length < length) {
            assertThat(messages).as("an incomplete greeting decodes to nothing").isZero();
            return;
        }
        assertThat(messages).isEqualTo(1);
        assertThat(message.decoderResult().isSuccess()).isTrue();
        assertThat(message.authMethods()).hasSize(input[1] & 0xff);
        for (int i = 0; i < message.authMethods().size(); i++) {
            assertThat(message.authMethods().get(i)).isEqualTo(Socks5AuthMethod.valueOf(input[2 + i]));
        }
        assertThat(encode(message)).as("encode(decode(x)) == x").isEqualTo(Arrays.copyOf(input, length));
        assertThat(passed.toByteArray()).isEqualTo(Arrays.copyOfRange(input, length, input.length));
    }

    static byte[] encode(Object message) {
        EmbeddedChannel enc = new EmbeddedChannel(Socks5ClientEncoder.DEFAULT);
        enc.writeOutbound(message);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ByteBuf b; (b = enc.readOutbound()) != null; ) {
            FuzzFeed.append(out, b);
        }
        enc.finishAndReleaseAll();
        return out.toByteArray();
    }
}
