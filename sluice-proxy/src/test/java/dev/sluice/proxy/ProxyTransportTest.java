package dev.sluice.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.uring.IoUring;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which transport the proxy runs on (sluice.proxy.transport). */
class ProxyTransportTest {
    static final List<ProxyListenerConfig> LOOPBACK = List.of(ProxyListenerConfig.builder(new InetSocketAddress("127.0.0.1", 0)).build());
    static final List<ProxyListenerConfig> WILDCARD = List.of(ProxyListenerConfig.builder(new InetSocketAddress("0.0.0.0", 0)).build());

    @Test
    void autoIsIoUringWhereAvailableAndEpollOtherwise() {
        assertThat(ProxyTransport.choose("auto", LOOPBACK))
                .isEqualTo(IoUring.isAvailable() ? ProxyTransport.IO_URING : ProxyTransport.EPOLL_OR_NIO);
        assertThat(ProxyTransport.choose("EPOLL", LOOPBACK)).isEqualTo(ProxyTransport.EPOLL_OR_NIO);
    }

    /** io_uring's listening socket is IPv6: Netty binds 0.0.0.0 there as ::, which would take IPv6 clients too. */
    @Test
    void aListenerOnTheIpv4WildcardKeepsEpoll() {
        assertThat(ProxyTransport.choose("auto", WILDCARD)).isEqualTo(ProxyTransport.EPOLL_OR_NIO);
        assumeTrue(IoUring.isAvailable());
        assertThatThrownBy(() -> ProxyTransport.choose("io_uring", WILDCARD))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0.0.0.0");
    }

    @Test
    void anUnknownTransportIsRefusedByName() {
        assertThatThrownBy(() -> ProxyTransport.choose("kqueue", LOOPBACK))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sluice.proxy.transport=kqueue");
    }

    /** The wildcard listener really is IPv4 only: it reports 0.0.0.0, not [::]. */
    @Test
    void aWildcardListenerStartsOnIpv4Only() throws Exception {
        try (ProxyServer server = new ProxyServer(WILDCARD, null, new io.prometheus.metrics.model.registry.PrometheusRegistry())) {
            InetSocketAddress bound = server.start().get(0);
            assertThat(bound.getAddress().getHostAddress()).isEqualTo("0.0.0.0");
        }
    }
}
