package dev.sluice.policy.egress;

import dev.sluice.net.IpLiterals;

import dev.sluice.net.Cidr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ValueParsingTest {
    @Test
    void throttleSpecs() {
        assertThat(ThrottleSpec.parse("100/hr")).isEqualTo(new ThrottleSpec(100, Duration.ofHours(1), false));
        assertThat(ThrottleSpec.parse("1,000/minute")).isEqualTo(new ThrottleSpec(1000, Duration.ofMinutes(1), false));
        assertThat(ThrottleSpec.parse("local:10/s")).isEqualTo(new ThrottleSpec(10, Duration.ofSeconds(1), true));
        assertThat(ThrottleSpec.parse("50/5m")).isEqualTo(new ThrottleSpec(50, Duration.ofMinutes(5), false));
        assertThat(ThrottleSpec.parse("2/day")).isEqualTo(new ThrottleSpec(2, Duration.ofDays(1), false));
        assertThatThrownBy(() -> ThrottleSpec.parse("100")).hasMessageContaining("expected N/period");
        assertThatThrownBy(() -> ThrottleSpec.parse("0/s")).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> ThrottleSpec.parse("5/fortnight")).hasMessageContaining("unknown period 'fortnight'");
    }

    @Test
    void hostPorts() throws Exception {
        assertThat(HostPort.parse("10.0.5.10:5000").address()).contains(InetAddress.getByName("10.0.5.10"));
        assertThat(HostPort.parse("[2001:db8::1]:1080").address()).contains(InetAddress.getByName("2001:db8::1"));
        HostPort named = HostPort.parse("proxy-1.example.com:1080");
        assertThat(named.isLiteral()).isFalse();
        assertThat(named.toSocketAddress().isUnresolved()).isTrue();
        assertThat(HostPort.parse("localhost:2525").host()).isEqualTo("localhost");
        assertThatThrownBy(() -> HostPort.parse("not a valid hostname:5000")).hasMessageContaining("invalid hostname");
        assertThatThrownBy(() -> HostPort.parse("-bad.example:5000")).hasMessageContaining("invalid hostname");
        assertThatThrownBy(() -> HostPort.parse("10.0.0.300:5000")).hasMessageContaining("invalid hostname '10.0.0.300'");
        assertThatThrownBy(() -> HostPort.parse("::1:5000")).hasMessageContaining("[ipv6]:port");
        assertThatThrownBy(() -> HostPort.parse("[nope]:5000")).hasMessageContaining("invalid IPv6 address");
        assertThatThrownBy(() -> HostPort.parse("host:99999")).hasMessageContaining("invalid port '99999'");
    }

    @Test
    void ipLiteralsNeverResolveNames() {
        assertThat(IpLiterals.parse("localhost").orElse(null)).isNull();
        assertThat(IpLiterals.parse("1.2.3").orElse(null)).isNull();
        assertThat(IpLiterals.parse("fe80::1").orElse(null)).isNotNull();
        assertThat(IpLiterals.parse("::ffff:1.2.3.4").orElse(null)).isNotNull();
    }

    @Test
    void cidrs() throws Exception {
        Cidr block = Cidr.parse("192.168.1.77/24");
        assertThat(block.toString()).isEqualTo("192.168.1.0/24");
        assertThat(block.contains(InetAddress.getByName("192.168.1.200"))).isTrue();
        assertThat(block.contains(InetAddress.getByName("192.168.2.1"))).isFalse();
        assertThat(block.contains(InetAddress.getByName("::1"))).isFalse();
        assertThat(Cidr.parse("::").contains(InetAddress.getByName("::"))).isTrue();
        assertThat(Cidr.parse("::").contains(InetAddress.getByName("::1"))).isFalse();
        assertThat(Cidr.parse("0.0.0.0/0").contains(InetAddress.getByName("8.8.8.8"))).isTrue();
        assertThatThrownBy(() -> Cidr.parse("example.com/8")).hasMessageContaining("is not an IP address");
    }

    @Test
    void thresholdWindowCountsFailuresWithinThePeriod() {
        long second = 1_000_000_000L;
        var w = new ThresholdWindow(3, Duration.ofMinutes(1));
        assertThat(w.record(0)).isFalse();
        assertThat(w.record(10 * second)).isFalse();
        assertThat(w.record(20 * second)).isTrue();
        // 70 s later the first two have left the window
        assertThat(w.count(70 * second)).isEqualTo(1);
        assertThat(w.record(70 * second)).isFalse();
        assertThat(w.record(71 * second)).isTrue();
        w.reset();
        assertThat(w.count(71 * second)).isZero();
    }

    @Test
    void thresholdWindowOverALongPeriodUsesCoarseBuckets() {
        long second = 1_000_000_000L;
        var w = new ThresholdWindow(2, Duration.ofHours(1)); // 60 buckets of 60 s
        assertThat(w.record(0)).isFalse();
        assertThat(w.record(3500 * second)).isTrue();
        assertThat(w.count(3700 * second)).isEqualTo(1);
    }

    @Test
    void immediateIsTheDefaultTrigger() {
        var rule = SuspensionRule.parse(dev.sluice.policy.ConfigTable.of(
                dev.sluice.policy.ConfigSchema.of("t", java.util.Set.of("r"), java.util.Set.of()),
                java.util.Map.of("r", java.util.Map.of("duration", "1h"))), "r");
        assertThat(rule).isEqualTo(new SuspensionRule(new SuspensionRule.Immediate(), Duration.ofHours(1)));
        var threshold = new SuspensionRule.Threshold(5, Duration.ofMinutes(5)).newWindow();
        assertThat(threshold.record(0)).isFalse();
    }
}
