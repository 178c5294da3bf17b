package dev.sluice.net.http;

import dev.sluice.net.CidrSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrustedHostsTest {

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void defaultsTrustOnlyLoopbackHosts() throws Exception {
        CidrSet hosts = CidrSet.parse(HttpListenerConfig.DEFAULT_TRUSTED_HOSTS);
        assertThat(hosts.contains(ip("127.0.0.1"))).isTrue();
        assertThat(hosts.contains(ip("::1"))).isTrue();
        assertThat(hosts.contains(ip("127.0.0.2"))).isFalse();
        assertThat(hosts.contains(ip("10.1.2.3"))).isFalse();
    }

    @Test
    void prefixesMatchOnBitBoundaries() throws Exception {
        CidrSet hosts = CidrSet.parse(List.of("10.0.0.0/8", "192.168.4.0/22", "2001:db8::/33", "0.0.0.0/0"
                .replace("0.0.0.0/0", "172.16.0.0/12")));
        assertThat(hosts.contains(ip("10.255.0.1"))).isTrue();
        assertThat(hosts.contains(ip("11.0.0.1"))).isFalse();
        assertThat(hosts.contains(ip("192.168.7.255"))).isTrue();
        assertThat(hosts.contains(ip("192.168.8.0"))).isFalse();
        assertThat(hosts.contains(ip("172.31.255.255"))).isTrue();
        assertThat(hosts.contains(ip("172.32.0.0"))).isFalse();
        assertThat(hosts.contains(ip("2001:db8:7fff::1"))).isTrue();
        assertThat(hosts.contains(ip("2001:db8:8000::1"))).isFalse();
    }

    @Test
    void ipv4MappedIpv6PeersMatchIpv4Blocks() throws Exception {
        CidrSet hosts = CidrSet.parse(List.of("10.0.0.0/8"));
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        mapped[12] = 10;
        mapped[15] = 7;
        assertThat(hosts.contains(java.net.Inet6Address.getByAddress(null, mapped, null))).isTrue();
    }

    @Test
    void allZeroPrefixMatchesEverythingOfThatFamilyOnly() throws Exception {
        CidrSet hosts = CidrSet.parse(List.of("0.0.0.0/0"));
        assertThat(hosts.contains(ip("203.0.113.9"))).isTrue();
        assertThat(hosts.contains(ip("2001:db8::1"))).isFalse();
    }

    @Test
    void rejectsNamesAndBadPrefixes() {
        assertThatThrownBy(() -> CidrSet.parse(List.of("localhost"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CidrSet.parse(List.of("10.0.0.0/33"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CidrSet.parse(List.of("10.0.0.0/x"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CidrSet.parse(List.of("::1/129"))).isInstanceOf(IllegalArgumentException.class);
    }
}
