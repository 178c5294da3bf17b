package dev.sluice.mta.ingress.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.sluice.testkit.FuzzFeed;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The PROXY v1/v2 header on ingress as {@link EsmtpServer} sets it up: Netty's {@link HAProxyMessageDecoder}
 * then {@link ProxyHeaderHandler}. For any bytes and chunking: no exception escapes; the session is told the
 * addresses at most once, and they are the header's (PROXY over TCP) or the connection's own (LOCAL, UNKNOWN);
 * otherwise the connection is closed or still waiting; the bytes after the header reach the framer untouched;
 * the outcome does not depend on the chunking; a decoded header with addresses re-encoded decodes to the same
 * header (TLVs aside: Sluice ignores them, and Netty's encoder does not keep every one); every buffer is released.
 */
class ProxyHeaderFuzzTest {
    static final InetSocketAddress PEER = new InetSocketAddress("192.0.2.1", 40000);
    static final InetSocketAddress LOCAL = new InetSocketAddress("192.0.2.2", 25);

    @FuzzTest(maxDuration = "4s")
    void proxyHeader(FuzzedDataProvider data) {
        byte[] sizes = data.consumeBytes(data.consumeInt(0, 8));
        byte[] input = data.consumeRemainingAsBytes();
        if (input.length > FuzzFeed.MAX_INPUT) {
            return;
        }
        Outcome chunked = run(input, sizes);
        Outcome whole = run(input, new byte[0]);
        assertThat(chunked).as("outcome independent of chunking").isEqualTo(whole);
        if (chunked.proxied.isEmpty()) {
            assertThat(chunked.passed).as("no bytes before the header is taken").isEmpty();
            return;
        }
        assertThat(chunked.proxied).hasSize(1);
        assertThat(chunked.open).isTrue();

        HAProxyMessage header = decodeAlone(input);
        assertThat(header).as("the decoder alone takes the header too").isNotNull();
        try {
            ProxyHeaderHandler.Proxied p = chunked.proxied.getFirst();
            if (header.command() == HAProxyCommand.PROXY && header.proxiedProtocol() != HAProxyProxiedProtocol.UNKNOWN) {
                assertThat(p.source().getPort()).isEqualTo(header.sourcePort());
                assertThat(p.destination().getPort()).isEqualTo(header.destinationPort());
            } else {
                assertThat(p).isEqualTo(new ProxyHeaderHandler.Proxied(PEER, LOCAL));
            }
            if (header.sourceAddress() == null || header.destinationAddress() == null) {
                return; // LOCAL / UNKNOWN without addresses: Netty's encoder writes only headers with addresses
            }
            EmbeddedChannel enc = new EmbeddedChannel(HAProxyMessageEncoder.INSTANCE);
            enc.writeOutbound(header.retain());
            ByteArrayOutputStream encoded = new ByteArrayOutputStream();
            for (ByteBuf b; (b = enc.readOutbound()) != null; ) {
                encoded.writeBytes(FuzzFeed.drain(b));
            }
            enc.finishAndReleaseAll();
            HAProxyMessage again = decodeAlone(encoded.toByteArray());
            assertThat(again).as("decode(encode(decode(x)))").isNotNull();
            try {
                assertThat(describe(again)).isEqualTo(describe(header));
            } finally {
                again.release();
            }
        } finally {
            header.release();
        }
    }

    private record Outcome(List<ProxyHeaderHandler.Proxied> proxied, String passed, boolean open) {}

    private static Outcome run(byte[] input, byte[] sizes) {
        List<ProxyHeaderHandler.Proxied> proxied = new ArrayList<>();
        ByteArrayOutputStream passed = new ByteArrayOutputStream();
        FuzzFeed feed = new FuzzFeed();
        EmbeddedChannel ch = new AddressedChannel();
        ch.config().setAllocator(feed.allocator);
        ch.pipeline().addLast(new HAProxyMessageDecoder(), new ProxyHeaderHandler(), new ChannelInboundHandlerAdapter() {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                if (evt instanceof ProxyHeaderHandler.Proxied p) {
                    proxied.add(p);
                }
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                assertThat(proxied).as("bytes only after the header").hasSize(1);
                passed.writeBytes(FuzzFeed.drain((ByteBuf) msg));
            }
        });
        feed.feed(ch, input, sizes);
        ch.checkException();
        boolean open = ch.isOpen();
        ch.finishAndReleaseAll();
        feed.assertReleased();
        return new Outcome(proxied, java.util.HexFormat.of().formatHex(passed.toByteArray()), open);
    }

    private static HAProxyMessage decodeAlone(byte[] input) {
        EmbeddedChannel ch = new EmbeddedChannel(new HAProxyMessageDecoder());
        try {
            ch.writeInbound(io.netty.buffer.Unpooled.wrappedBuffer(input));
        } catch (RuntimeException e) {
            ch.finishAndReleaseAll();
            return null;
        }
        HAProxyMessage m = null;
        for (Object o; (o = ch.readInbound()) != null; ) {
            if (o instanceof HAProxyMessage h && m == null) {
                m = h;
            } else {
                io.netty.util.ReferenceCountUtil.release(o);
            }
        }
        ch.finishAndReleaseAll();
        return m;
    }

    private static String describe(HAProxyMessage m) {
        StringBuilder s = new StringBuilder().append(m.command()).append(' ').append(m.proxiedProtocol()).append(' ')
                .append(m.sourceAddress()).append(' ').append(m.destinationAddress()).append(' ')
                .append(m.sourcePort()).append(' ').append(m.destinationPort());
        return s.toString();
    }

    /** An EmbeddedChannel with TCP addresses, as ProxyHeaderHandler expects for LOCAL and UNKNOWN headers. */
    private static final class AddressedChannel extends EmbeddedChannel {
        @Override
        protected SocketAddress remoteAddress0() {
            return PEER;
        }

        @Override
        protected SocketAddress localAddress0() {
            return LOCAL;
        }
    }
}
