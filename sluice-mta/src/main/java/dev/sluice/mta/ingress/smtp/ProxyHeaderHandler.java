package dev.sluice.mta.ingress.smtp;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes the PROXY v1/v2 header that {@code HAProxyMessageDecoder} parsed, announces the addresses it carried as a
 * {@link Proxied} event (the session greets only then) and leaves the pipeline. A missing or invalid header makes
 * the decoder fail, and the connection is dropped without a banner; whatever the decoder makes of the bytes after
 * that while closing (another header, another error) is dropped too.
 */
final class ProxyHeaderHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ProxyHeaderHandler.class);
    private boolean failed;

    /** The client and listener addresses as the proxy saw them (the TCP ones for LOCAL / UNKNOWN headers). */
    record Proxied(InetSocketAddress source, InetSocketAddress destination) {}

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (failed || !ctx.channel().isActive()) {
            // the decoder closes the connection on a bad header, and then decodes what is left as if it were one
            failed = true;
            io.netty.util.ReferenceCountUtil.release(msg);
            return;
        }
        if (!(msg instanceof HAProxyMessage header)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            InetSocketAddress source = (InetSocketAddress) ctx.channel().remoteAddress();
            InetSocketAddress destination = (InetSocketAddress) ctx.channel().localAddress();
            if (header.command() == HAProxyCommand.PROXY && header.proxiedProtocol() != HAProxyProxiedProtocol.UNKNOWN
                    && header.sourceAddress() != null) {
                source = new InetSocketAddress(dev.sluice.net.IpLiterals.parse(header.sourceAddress()).orElseThrow(),
                        header.sourcePort());
                destination = new InetSocketAddress(
                        dev.sluice.net.IpLiterals.parse(header.destinationAddress()).orElseThrow(),
                        header.destinationPort());
            }
            ctx.pipeline().remove(this);
            ctx.pipeline().fireUserEventTriggered(new Proxied(source, destination));
        } catch (RuntimeException e) {
            log.debug("unusable PROXY header {}: {}", header, e.toString());
            failed = true;
            ctx.close();
        } finally {
            header.release();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!failed) {
            failed = true;
            log.debug("dropping connection from {}: no valid PROXY header ({})",
                    dev.sluice.net.IpLiterals.format((java.net.InetSocketAddress) ctx.channel().remoteAddress()),
                    cause.toString());
        }
        ctx.close();
    }
}
