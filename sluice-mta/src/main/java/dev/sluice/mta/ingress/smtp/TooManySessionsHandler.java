package dev.sluice.mta.ingress.smtp;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/** The whole pipeline of a connection over max_connections: one 421 and close. */
final class TooManySessionsHandler extends ChannelInboundHandlerAdapter {
    private final String hostname;

    TooManySessionsHandler(String hostname) {
        this.hostname = hostname;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(Unpooled.wrappedBuffer(
                        SmtpReply.of(421, "4.3.2", hostname + " too many concurrent sessions").encode()))
                .addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        io.netty.util.ReferenceCountUtil.release(msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
