package dev.sluice.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import java.util.ArrayList;
import java.util.List;

/**
 * Base of the handshake step handlers. Each step sits right after its Netty SOCKS decoder. A decoder that has
 * produced its message passes any further bytes through raw; a step buffers them while it waits (for an
 * authenticator or a connect) and hands them, in order, to whatever comes next.
 *
 * <p>Client sockets allow half-closure (a client may send request, data and FIN in one go), so a client that
 * closes shows up as an input-shutdown event, not as an inactive channel. A step that still needs bytes from the
 * client then ends the session at once; a step waiting for an authenticator, a bind or a connect goes on, and the
 * step it hands over to checks again.
 */
abstract class SocksStep extends ChannelInboundHandlerAdapter {
    /** A client pipelining more than this before we answer is not a SOCKS client we want. */
    private static final int MAX_PENDING = 64 * 1024;

    final Session session;
    final ChannelHandler decoder;
    private final List<ByteBuf> pending = new ArrayList<>();
    private int pendingBytes;
    private boolean removed;

    SocksStep(Session session, ChannelHandler decoder) {
        this.session = session;
        this.decoder = decoder;
    }

    @Override
    public final void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf) {
            pendingBytes += buf.readableBytes();
            pending.add(buf);
            if (pendingBytes > MAX_PENDING) {
                session.fail("client sent " + pendingBytes + " bytes ahead of the handshake");
            }
            return;
        }
        if (session.finished()) {
            io.netty.util.ReferenceCountUtil.release(msg);
            return;
        }
        onMessage(ctx, msg);
    }

    abstract void onMessage(ChannelHandlerContext ctx, Object msg);

    /** Whether this step still needs bytes from the client: false while it waits for an authenticator, a bind or a connect. */
    abstract boolean waitingForClient();

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        // The decoder in front has already decoded whatever complete message the last bytes held.
        if (evt instanceof ChannelInputShutdownEvent || evt instanceof SslCloseCompletionEvent) {
            inputClosed();
        }
        ctx.fireUserEventTriggered(evt);
    }

    /** The client will send nothing more: if this step still needs something from it, the session ends now. */
    final void inputClosed() {
        if (!removed && !session.finished() && waitingForClient()) {
            session.clientClosed();
        }
    }

    /** Replaces this step and its decoder by {@code nextDecoder} (may be null) and {@code nextHandler}. */
    final void advance(ChannelHandlerContext ctx, ChannelHandler nextDecoder, ChannelHandler nextHandler) {
        ChannelPipeline p = ctx.pipeline();
        String after = ctx.name();
        if (nextDecoder != null) {
            p.addAfter(after, null, nextDecoder);
            after = p.context(nextDecoder).name();
        }
        p.addAfter(after, null, nextHandler);
        // Bytes buffered while we waited go first, then whatever the old decoder still holds.
        for (ByteBuf b : pending) {
            ctx.fireChannelRead(b);
        }
        pending.clear();
        pendingBytes = 0;
        if (p.context(decoder) != null) {
            p.remove(decoder);
        }
        p.remove(this);
        if (nextHandler instanceof SocksStep next && ctx.channel() instanceof DuplexChannel d && d.isInputShutdown()) {
            // The client closed while this step waited; the event has passed. Ask the next step once the bytes
            // still on their way (a removed decoder hands its rest on after it returns) have reached it.
            ctx.executor().execute(next::inputClosed);
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        removed = true;
        for (ByteBuf b : pending) {
            b.release();
        }
        pending.clear();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        String what = cause instanceof DecoderException ? "malformed input: " : "error: ";
        session.fail(what + cause.getMessage());
    }
}
