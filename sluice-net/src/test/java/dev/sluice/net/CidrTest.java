package dev.sluice.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class CidrTest {
    static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void ipv4NetworkContainsItsAddressesOnly() throws Exception {
        Cidr c = Cidr.parse("10.0.0.0/8");
        assertThat(c.contains(ip("10.255.1.2"))).isTrue();
        assertThat(c.contains(ip("11.0.0.1"))).isFalse();
        assertThat(c.contains(ip("::1"))).isFalse();
        assertThat(c.toString()).isEqualTo("10.0.0.0/8");
    }

    @Test
    void hostBitsAreMaskedAndOddPrefixesWork() throws Exception {
        Cidr c = Cidr.parse("192.168.1.77/23");
        assertThat(c.toString()).isEqualTo("192.168.0.0/23");
        assertThat(c.contains(ip("192.168.1.200"))).isTrue();
        assertThat(c.contains(ip("192.168.2.1"))).isFalse();
    }

    @Test
    void bareAddressIsAHostRoute() throws Exception {
        Cidr v4 = Cidr.parse("127.0.0.9");
        assertThat(v4.prefixLength()).isEqualTo(32);
        assertThat(v4.contains(ip("127.0.0.9"))).isTrue();
        assertThat(v4.contains(ip("127.0.0.10"))).isFalse();
        Cidr v6 = Cidr.parse("::1");
        assertThat(v6.prefixLength()).isEqualTo(128);
        assertThat(v6.contains(ip("::1"))).isTrue();
        assertThat(Cidr.parse("[::1]/128").contains(ip("::1"))).isTrue();
    }

    @Test
    void ipv6Networks() throws Exception {
        Cidr c = Cidr.parse("2001:db8::/32");
        assertThat(c.contains(ip("2001:db8:1::5"))).isTrue();
        assertThat(c.contains(ip("2001:db9::1"))).isFalse();
        assertThat(c.contains(ip("10.0.0.1"))).isFalse();
    }

    @Test
    void ipv4MappedAddressesMatchIpv4Networks() throws Exception {
        assertThat(Cidr.parse("127.0.0.0/8").contains(ip("::ffff:127.0.0.5"))).isTrue();
    }

    @Test
    void zeroPrefixMatchesEverythingOfTheFamily() throws Exception {
        assertThat(Cidr.parse("0.0.0.0/0").contains(ip("203.0.113.9"))).isTrue();
        assertThat(Cidr.parse("::/0").contains(ip("2001:db8::1"))).isTrue();
    }

    @Test
    void rejectsGarbageAndNeverResolvesNames() {
        assertThatThrownBy(() -> Cidr.parse("example.com")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Cidr.parse("10.0.0.0/33")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Cidr.parse("10.0.0.0/x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Cidr.parse("::1/129")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void cidrSetMatchesAnyEntry() throws Exception {
        CidrSet s = CidrSet.of("10.0.0.0/8", "::1");
        assertThat(s.contains(ip("10.1.2.3"))).isTrue();
        assertThat(s.contains(ip("::1"))).isTrue();
        assertThat(s.contains(ip("127.0.0.1"))).isFalse();
        assertThat(CidrSet.of().contains(ip("127.0.0.1"))).isFalse();
    }

    @Test
    void formatsSocketAddressesLikeRust() throws Exception {
        assertThat(IpLiterals.format(new java.net.InetSocketAddress(ip("127.0.0.1"), 25))).isEqualTo("127.0.0.1:25");
        assertThat(IpLiterals.format(new java.net.InetSocketAddress(ip("::1"), 25))).isEqualTo("[::1]:25");
    }
}
