package dev.sluice.egress.dns;

import dev.sluice.policy.egress.IpLookupStrategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class TestZoneResolverTest {
    private static final String ZONE = """
            $ORIGIN example.com.
            $TTL 600
            @        IN MX 20 mx2
            @        IN MX 10 mx1.example.com.
            mx1      600 IN A 127.0.0.1
                     IN AAAA ::1   ; same owner as above
            mx2      A 127.0.0.2
            proxy    CNAME mx2
            noaddr   TXT "v=spf1 -all"
            """;

    private final TestZoneResolver dns = TestZoneResolver.of(List.of(ZONE, "$ORIGIN other.test.\nbroken A 127.0.0.9\n"),
            List.of("broken.other.test"));

    @Test
    void mxSortedByPreferenceWithNamesMadeAbsolute() throws Exception {
        assertThat(dns.mx("Example.COM.").get()).containsExactly(
                new MxRecord(10, "mx1.example.com"), new MxRecord(20, "mx2.example.com"));
    }

    @Test
    void domainWithoutMxHasTheImplicitMx() throws Exception {
        assertThat(dns.mx("mx1.example.com").get()).containsExactly(new MxRecord(0, "mx1.example.com", true));
    }

    @Test
    void unknownDomainAndServfail() {
        assertThatThrownBy(() -> dns.mx("nowhere.example.net").get()).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(UnknownHostException.class);
        assertThatThrownBy(() -> dns.addresses("broken.other.test", IpLookupStrategy.Ipv4AndIpv6).get())
                .hasCauseInstanceOf(DnsFailureException.class).hasMessageContaining("SERVFAIL");
    }

    @Test
    void addressesFollowStrategyAndCnames() throws Exception {
        InetAddress v4 = InetAddress.getByName("127.0.0.1");
        InetAddress v6 = InetAddress.getByName("::1");
        assertThat(dns.addresses("mx1.example.com", IpLookupStrategy.Ipv4AndIpv6).get()).containsExactly(v4, v6);
        assertThat(dns.addresses("mx1.example.com", IpLookupStrategy.Ipv6Only).get()).containsExactly(v6);
        assertThat(dns.addresses("mx1.example.com", IpLookupStrategy.Ipv6thenIpv4).get()).containsExactly(v6);
        assertThat(dns.addresses("proxy.example.com", IpLookupStrategy.Ipv4AndIpv6).get())
                .containsExactly(InetAddress.getByName("127.0.0.2"));
        assertThat(dns.addresses("proxy.example.com", IpLookupStrategy.Ipv6thenIpv4).get())
                .containsExactly(InetAddress.getByName("127.0.0.2"));
        assertThatThrownBy(() -> dns.addresses("noaddr.example.com", IpLookupStrategy.Ipv4AndIpv6).get())
                .hasCauseInstanceOf(UnknownHostException.class);
        assertThat(dns.addresses("10.1.2.3", IpLookupStrategy.Ipv4Only).get()).containsExactly(InetAddress.getByName("10.1.2.3"));
    }

    @Test
    void badZoneLineIsNamed() {
        assertThatThrownBy(() -> TestZoneResolver.of("$ORIGIN x.test.\nhost A not-an-ip\n"))
                .hasMessageContaining("bad A data in 'host A not-an-ip'");
    }
}
