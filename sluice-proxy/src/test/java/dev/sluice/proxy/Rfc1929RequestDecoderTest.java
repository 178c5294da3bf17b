package dev.sluice.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthRequest;
import org.junit.jupiter.api.Test;

class Rfc1929RequestDecoderTest {

    /** Found by Rfc1929RequestFuzzTest: bytes after a malformed request reached the auth handler as data. */
    @Test
    void bytesAfterAMalformedRequestAreDropped() {
        EmbeddedChannel ch = new EmbeddedChannel(new Rfc1929RequestDecoder());
        ByteBuf bad = Unpooled.wrappedBuffer(new byte[] {1, 1, (byte) 0xa9, 0}); // user "\xa9": not UTF-8
        ByteBuf later = Unpooled.wrappedBuffer(new byte[] {5, 1, 0, 1});
        ch.writeInbound(bad);
        ch.writeInbound(later);

        Socks5PasswordAuthRequest failed = ch.readInbound();
        assertThat(failed.decoderResult().isFailure()).isTrue();
        assertThat((Object) ch.readInbound()).as("nothing after the failed request").isNull();
        assertThat(later.refCnt()).isZero();
        ch.finishAndReleaseAll();
    }
}
