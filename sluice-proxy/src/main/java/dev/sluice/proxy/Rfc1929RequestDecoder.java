package dev.sluice.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.socksx.v5.DefaultSocks5PasswordAuthRequest;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * RFC 1929 username/password request with strict UTF-8, as KumoProxy requires. Netty's own decoder reads the
 * fields as US-ASCII, which turns every non-ASCII byte into U+FFFD: two different passwords could then reach the
 * authenticator as the same string. Like Netty's decoders, once the request is decoded further bytes pass
 * through untouched, and once it failed further bytes are dropped.
 */
final class Rfc1929RequestDecoder extends ByteToMessageDecoder {
    private boolean done;
    private boolean failed;

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (done) {
            if (in.isReadable()) {
                out.add(in.readRetainedSlice(in.readableBytes()));
            }
            return;
        }
        int start = in.readerIndex();
        if (in.readableBytes() < 2) {
            return;
        }
        int version = in.getUnsignedByte(start);
        if (version != 1) {
            fail(in, out, "unsupported username/password subnegotiation version " + version);
            return;
        }
        int ulen = in.getUnsignedByte(start + 1);
        if (in.readableBytes() < 3 + ulen) {
            return;
        }
        int plen = in.getUnsignedByte(start + 2 + ulen);
        if (in.readableBytes() < 3 + ulen + plen) {
            return;
        }
        String user;
        String password;
        try {
            user = utf8(in, start + 2, ulen);
            password = utf8(in, start + 3 + ulen, plen);
        } catch (CharacterCodingException e) {
            fail(in, out, "username or password is not valid UTF-8");
            return;
        }
        in.skipBytes(3 + ulen + plen);
        done = true;
        out.add(new DefaultSocks5PasswordAuthRequest(user, password));
    }

    private static String utf8(ByteBuf in, int index, int length) throws CharacterCodingException {
        ByteBuffer bytes = in.nioBuffer(index, length);
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(bytes).toString();
    }

    private void fail(ByteBuf in, List<Object> out, String reason) {
        failed = true;
        in.skipBytes(in.readableBytes());
        DefaultSocks5PasswordAuthRequest m = new DefaultSocks5PasswordAuthRequest("", "");
        m.setDecoderResult(DecoderResult.failure(new DecoderException(reason)));
        out.add(m);
    }
}
