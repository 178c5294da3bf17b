package dev.sluice.egress.dns;

import dev.sluice.policy.egress.IpLookupStrategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.testkit.Dnsmasq;
import dev.sluice.testkit.Peers;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Against a real dnsmasq on a loopback port, and the machine's /etc/hosts. */
class DnsServerResolverTest {
    @RegisterExtension
    final Peers peers = new Peers();

    @Test
    void mxAndAddressesFromDnsmasq() throws Exception {
        Dnsmasq dnsmasq = peers.add(Dnsmasq.builder()
                .mx("example.test", "mx2.example.test", 20)
                .mx("example.test", "mx1.example.test", 10)
                .hostRecord("mx1.example.test", "127.0.0.1", "::1")
                .hostRecord("plain.example.test", "127.0.0.3")
                .start());
        try (DnsServerResolver dns = new DnsServerResolver(List.of(dnsmasq.address()))) {
            assertThat(dns.mx("example.test").get()).containsExactly(
                    new MxRecord(10, "mx1.example.test"), new MxRecord(20, "mx2.example.test"));
            assertThat(dns.addresses("mx1.example.test", IpLookupStrategy.Ipv4AndIpv6).get())
                    .containsExactly(InetAddress.getByName("127.0.0.1"), InetAddress.getByName("::1"));
            assertThat(dns.addresses("mx1.example.test", IpLookupStrategy.Ipv6Only).get())
                    .containsExactly(InetAddress.getByName("::1"));
            assertThatThrownBy(() -> dns.addresses("missing.example.test", IpLookupStrategy.Ipv4AndIpv6).get())
                    .hasCauseInstanceOf(UnknownHostException.class);
        }
    }

    @Test
    void systemResolverReadsEtcHostsFirst() throws Exception {
        try (SystemResolver dns = new SystemResolver()) {
            assertThat(dns.addresses("localhost", IpLookupStrategy.Ipv4Only).get())
                    .containsExactly(InetAddress.getByName("127.0.0.1"));
        }
    }
}
