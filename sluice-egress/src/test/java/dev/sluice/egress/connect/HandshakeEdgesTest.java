package dev.sluice.egress.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.egress.dns.TestZoneResolver;
import dev.sluice.egress.health.SourceHealth;
import dev.sluice.egress.route.RouteHealth;
import dev.sluice.net.IpLiterals;
import dev.sluice.net.Transports;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.string.StringDecoder;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Protocol edges a stock server does not produce on demand: a scripted SOCKS5 peer on 127.0.0.1 that
 * sends the destination's banner in the same write as the CONNECT reply, or never answers.
 */
class HandshakeEdgesTest {
    private EventLoopGroup group;
    private ServerSocket server;
    private Thread peer;
    private final CountDownLatch release = new CountDownLatch(1);
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Connector connector = new Connector(TestZoneResolver::of, new SourceHealth(registry), new RouteHealth(),
            new ConnectMetrics(registry));

    @BeforeEach
    void setUp() throws Exception {
        group = Transports.newEventLoopGroup(1);
        server = new ServerSocket(0, 5, InetAddress.getByName("127.0.0.1"));
    }

    @AfterEach
    void tearDown() throws Exception {
        release.countDown();
        server.close();
        if (peer != null) peer.join();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private String serverAddress() {
        return IpLiterals.format((InetSocketAddress) server.getLocalSocketAddress());
    }

    private void script(boolean answer) {
        peer = Thread.ofPlatform().start(() -> {
            try (Socket s = server.accept()) {
                DataInputStream in = new DataInputStream(s.getInputStream());
                OutputStream out = s.getOutputStream();
                if (answer) {
                    in.readFully(new byte[3]);          // 05 01 00
                    out.write(new byte[] {5, 0});
                    in.readFully(new byte[10]);         // CONNECT v4
                    byte[] reply = {5, 0, 0, 1, 127, 0, 0, 42, 0x30, 0x39};
                    byte[] banner = "220 scripted.test ESMTP\r\n250 second line\r\n".getBytes(StandardCharsets.US_ASCII);
                    byte[] both = new byte[reply.length + banner.length];
                    System.arraycopy(reply, 0, both, 0, reply.length);
                    System.arraycopy(banner, 0, both, reply.length, banner.length);
                    out.write(both);                    // one write: reply and banner together
                    out.flush();
                }
                release.await();
            } catch (Exception e) {
                // the test closed the server socket
            }
        });
    }

    @Test
    void bytesThatArriveWithTheConnectReplyReachTheCallersHandlers() throws Exception {
        script(true);
        EgressRoute route = new EgressRoute("scripted", null, new ProxyHop.Socks5(serverAddress(), null));
        Connected c = connector.connect(route, new InetSocketAddress("127.0.0.1", 25), Duration.ofSeconds(20), group.next()).get();
        assertThat(c.source()).isEqualTo(new SourceAddress("127.0.0.42:12345", serverAddress(), "socks5"));
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        c.channel().pipeline().addLast(new LineBasedFrameDecoder(1024), new StringDecoder(StandardCharsets.US_ASCII),
                new SimpleChannelInboundHandler<String>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, String msg) {
                        lines.add(msg);
                    }
                });
        c.resume();
        assertThat(lines.poll(30, TimeUnit.SECONDS)).isEqualTo("220 scripted.test ESMTP");
        assertThat(lines.poll(30, TimeUnit.SECONDS)).isEqualTo("250 second line");
        c.channel().close().sync();
    }

    @Test
    void silentProxyTimesOutUnderTheConnectTimeout() {
        script(false);
        EgressRoute route = new EgressRoute("silent", null, new ProxyHop.Socks5(serverAddress(), InetAddress.getLoopbackAddress()));
        assertThatThrownBy(() -> connector.connect(route, new InetSocketAddress("127.0.0.1", 25), Duration.ofSeconds(1),
                group.next()).get())
                .isInstanceOf(ExecutionException.class)
                .satisfies(e -> {
                    ConnectFailure f = ConnectFailedException.failureOf(e);
                    assertThat(f).isInstanceOf(ConnectFailure.Other.class);
                    assertThat(f.message()).isEqualTo("timeout after 1s while performing proxy handshake with " + serverAddress()
                            + " Socks5 { server: " + serverAddress() + ", source: 127.0.0.1, destination: 127.0.0.1:25 }");
                });
    }
}
