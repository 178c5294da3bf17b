package dev.sluice.net.trace;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import java.nio.charset.StandardCharsets;

/**
 * A pipeline handler that reports the bytes passing it to a {@link SmtpTrace.Session} (reads and writes) and the
 * connection's end, and passes everything on unchanged. Placed after any TLS handler (TLS handlers are added at
 * the head), it sees the plain SMTP conversation.
 */
public final class WireTap extends ChannelDuplexHandler {
    private final SmtpTrace.Session session;

    public WireTap(SmtpTrace.Session session) {
        this.session = session;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof ByteBuf b && b.isReadable()) {
            session.event(new SmtpTrace.Payload.Read(text(b)));
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof ByteBuf b && b.isReadable()) {
            session.event(new SmtpTrace.Payload.Write(text(b)));
        }
        super.write(ctx, msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        session.event(new SmtpTrace.Payload.Closed());
        super.channelInactive(ctx);
    }

    private static String text(ByteBuf b) {
        byte[] bytes = new byte[b.readableBytes()];
        b.getBytes(b.readerIndex(), bytes);
        String utf8 = new String(bytes, StandardCharsets.UTF_8);
        return utf8.indexOf('\uFFFD') < 0 ? utf8 : new String(bytes, StandardCharsets.ISO_8859_1);
    }
}
