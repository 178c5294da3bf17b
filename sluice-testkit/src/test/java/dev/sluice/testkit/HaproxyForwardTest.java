package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class HaproxyForwardTest {
    private static final byte[] SIGNATURE = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

    @RegisterExtension
    final Peers peers = new Peers();

    @AfterEach
    void nothingLeftRunning() throws Exception {
        peers.close();
        assertThat(Peers.livePids()).isEmpty();
    }

    @Test
    void forwardsToTheHeadersDestinationFromTheHeadersSource() throws Exception {
        TcpTarget target = peers.add(new TcpTarget("127.0.0.1"));
        HaproxyForward haproxy = peers.add(HaproxyForward.start());

        String reply = sendThroughProxy(haproxy, "127.0.0.9", 40001, "127.0.0.1", target.port());

        assertThat(reply).as(haproxy.describe()).contains("peer=127.0.0.9");
        assertThat(target.peers()).containsExactly("127.0.0.9");
    }

    /** PROXY v2, PROXY command, TCP over IPv4 (0x21 0x11), as test-peers-files/send_ppv2.py writes it. */
    static String sendThroughProxy(Peer proxy, String src, int srcPort, String dst, int dstPort) throws Exception {
        ByteBuffer header = ByteBuffer.allocate(SIGNATURE.length + 4 + 12);
        header.put(SIGNATURE).put((byte) 0x21).put((byte) 0x11).putShort((short) 12)
                .put(InetAddress.getByName(src).getAddress()).put(InetAddress.getByName(dst).getAddress())
                .putShort((short) srcPort).putShort((short) dstPort);
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(proxy.host(), proxy.port()), 5000);
            s.setSoTimeout(20_000);
            s.getOutputStream().write(header.array());
            s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toString(StandardCharsets.US_ASCII);
        }
    }
}
