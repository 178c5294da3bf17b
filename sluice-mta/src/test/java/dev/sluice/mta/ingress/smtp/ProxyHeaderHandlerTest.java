package dev.sluice.mta.ingress.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProxyHeaderHandlerTest {

    /**
     * Found by ProxyHeaderFuzzTest: after an invalid header the decoder went on with the next bytes, so a later
     * "PROXY" line was announced on the closing connection and the next error reached the SMTP handlers.
     */
    @Test
    void nothingAfterAnInvalidHeaderIsTaken() {
        List<Object> seen = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel(new HAProxyMessageDecoder(), new ProxyHeaderHandler(),
                new ChannelInboundHandlerAdapter() {
                    @Override
                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                        seen.add(evt);
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        seen.add(cause);
                    }
                });
        ch.writeInbound(Unpooled.copiedBuffer("HLO\r\nPROXY UNKNOWN\r\nHL O LO\r\n", StandardCharsets.US_ASCII));
        ch.finishAndReleaseAll();

        assertThat(ch.isOpen()).isFalse();
        assertThat(seen).as("no PROXY event and no error reach the session").isEmpty();
    }
}
