package dev.sluice.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.sluice.testkit.FuzzFeed;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthRequest;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The RFC 1929 username/password request ({@link Rfc1929RequestDecoder}) against a model of the RFC: version 1,
 * ULEN, UNAME, PLEN, PASSWD, with strict UTF-8. A complete request with valid UTF-8 is one message whose
 * re-encoding is the bytes it came from (so two different byte strings never reach the authenticator as the same
 * credentials) and the bytes after it pass through; a wrong version or invalid UTF-8 is one failed message and
 * nothing after it, however the bytes are chunked; fewer bytes give nothing. Every input buffer is released.
 */
class Rfc1929RequestFuzzTest {

    @FuzzTest(maxDuration = "4s")
    void passwordRequest(FuzzedDataProvider data) {
        byte[] sizes = FuzzFeed.chunkSizes(data);
        byte[] input = data.consumeRemainingAsBytes();
        if (input.length > FuzzFeed.MAX_INPUT) {
            return;
        }
        EmbeddedChannel ch = new EmbeddedChannel(new Rfc1929RequestDecoder());
        FuzzFeed feed = new FuzzFeed();
        feed.feed(ch, input, sizes);

        Socks5PasswordAuthRequest message = null;
        ByteArrayOutputStream passed = new ByteArrayOutputStream();
        int messages = 0;
        for (Object o; (o = ch.readInbound()) != null; ) {
            if (o instanceof ByteBuf b) {
                assertThat(message).as("bytes pass through only after the request").isNotNull();
                FuzzFeed.append(passed, b);
            } else {
                assertThat(passed.size()).isZero();
                message = (Socks5PasswordAuthRequest) o;
                messages++;
            }
        }
        ch.finishAndReleaseAll();
        feed.assertReleased();

        if (input.length < 2) {
            assertThat(messages).isZero();
            return;
        }
        if (input[0] != 1) {
            assertFailed(messages, message, passed);
            return;
        }
        int ulen = input[1] & 0xff;
        if (input.length < 3 + ulen || input.length < 3 + ulen + (input[2 + ulen] & 0xff)) {
            assertThat(messages).as("an incomplete request decodes to nothing").isZero();
            return;
        }
        int plen = input[2 + ulen] & 0xff;
        int length = 3 + ulen + plen;
        if (!utf8(input, 2, ulen) || !utf8(input, 3 + ulen, plen)) {
            assertFailed(messages, message, passed);
            return;
        }
        assertThat(messages).isEqualTo(1);
        assertThat(message.decoderResult().isSuccess()).isTrue();
        byte[] user = message.username().getBytes(StandardCharsets.UTF_8);
        byte[] password = message.password().getBytes(StandardCharsets.UTF_8);
        ByteBuffer encoded = ByteBuffer.allocate(3 + user.length + password.length);
        encoded.put((byte) 1).put((byte) user.length).put(user).put((byte) password.length).put(password);
        assertThat(encoded.array()).as("encode(decode(x)) == x").isEqualTo(Arrays.copyOf(input, length));
        assertThat(passed.toByteArray()).isEqualTo(Arrays.copyOfRange(input, length, input.length));
    }

    private static void assertFailed(int messages, Socks5PasswordAuthRequest message, ByteArrayOutputStream passed) {
        assertThat(messages).isEqualTo(1);
        assertThat(message.decoderResult().isFailure()).isTrue();
        assertThat(passed.size()).as("nothing passes after a failed request").isZero();
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
