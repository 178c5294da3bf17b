package dev.sluice.egress.connect;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/** Keeps bytes read past the handshake until the caller's handlers are in place; replays them on removal. */
final class HeldBytes extends ChannelInboundHandlerAdapter {
    private CompositeByteBuf held;

    HeldBytes(ByteBuf first) {
        if (first != null && first.isReadable()) {
            append(first);
        } else if (first != null) {
            first.release();
        }
    }

    private void append(ByteBuf buf) {
        if (held == null) held = buf.alloc().compositeBuffer();
        held.addComponent(true, buf);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf) append(buf);
        else ctx.fireChannelRead(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // held until resume()
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (held != null) {
            CompositeByteBuf out = held;
            held = null;
            if (out.isReadable()) {
                ctx.fireChannelRead(out);
                ctx.fireChannelReadComplete();
            } else {
                out.release();
            }
        }
    }
}
