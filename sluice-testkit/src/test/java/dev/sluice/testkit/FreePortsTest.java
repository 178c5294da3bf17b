package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

class FreePortsTest {
    @Test
    void portsAreBindableOnOtherLoopbackAddresses() throws Exception {
        for (String host : new String[] {"127.0.0.1", "127.0.0.5", "::1"}) {
            int port = FreePorts.tcp(host);
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress(InetAddress.getByName(host), port));
                assertThat(s.getLocalPort()).isEqualTo(port);
            }
        }
        assertThat(FreePorts.tcpAndUdp("127.0.0.1")).isBetween(1024, 65535);
    }
}
