package dev.sluice.egress.route;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.egress.dns.TestZoneResolver;
import dev.sluice.policy.egress.EgressPath;
import dev.sluice.policy.egress.MxHost;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class DestinationPlannerTest {
    private static final TestZoneResolver ZONES = TestZoneResolver.of("""
            $ORIGIN example.com.
            @        300 IN MX 20 mx2
            @        300 IN MX 10 mx1
            mx1      300 IN A 192.0.2.1
            mx1      300 IN AAAA 2001:db8::1
            mx2      300 IN A 192.0.2.2
            local    300 IN MX 10 lo
            lo       300 IN A 127.0.0.1
            """);
    private final DestinationPlanner planner = new DestinationPlanner(() -> ZONES);

    private static EgressPath path(Map<String, Object> keys) {
        return EgressPath.parse(keys);
    }

    @Test
    void mxRecordsInPreferenceOrderWithTheLookupStrategyAndPort() {
        var plan = planner.plan("example.com", List.of(), path(Map.of("ip_lookup_strategy", "Ipv4Only")),
                OptionalInt.empty()).join();
        assertThat(plan.destinations()).extracting(DestinationPlanner.Destination::address).containsExactly(
                new InetSocketAddress("192.0.2.1", 25), new InetSocketAddress("192.0.2.2", 25));
        assertThat(plan.siteName()).isEqualTo("mx1.example.com,mx2.example.com");
    }

    @Test
    void loopbackIsProhibitedByDefaultAndSkipHostsDropSilently() {
        var plan = planner.plan("local.example.com", List.of(), EgressPath.DEFAULT, OptionalInt.empty()).join();
        assertThat(plan.destinations()).isEmpty();
        assertThat(plan.prohibited()).containsExactly(new InetSocketAddress("127.0.0.1", 25));
        assertThat(plan.prohibitedText()).contains("prohibited hosts [/127.0.0.1:25]");

        var skipped = planner.plan("example.com", List.of(),
                path(Map.of("skip_hosts", List.of("192.0.2.1"), "ip_lookup_strategy", "Ipv4Only")),
                OptionalInt.empty()).join();
        assertThat(skipped.destinations()).extracting(d -> d.address().getHostString()).containsExactly("192.0.2.2");
        assertThat(skipped.prohibited()).isEmpty();
    }

    @Test
    void mxListBypassesMxLookupAndItsPortLosesToTheSourcesRemotePort() {
        var mxList = List.of(MxHost.parse("mx_list", "127.0.0.1:2525"), MxHost.parse("mx_list", "mx2.example.com"));
        var open = path(Map.of("prohibited_hosts", Map.of(), "smtp_port", 587L));
        var plan = planner.plan("ignored.test", mxList, open, OptionalInt.empty()).join();
        assertThat(plan.destinations()).extracting(DestinationPlanner.Destination::address).containsExactly(
                new InetSocketAddress("127.0.0.1", 2525), new InetSocketAddress("192.0.2.2", 587));
        assertThat(plan.siteName()).isEqualTo("mx_list:127.0.0.1:2525,mx2.example.com");

        var remote = planner.plan("ignored.test", mxList, open, OptionalInt.of(10025)).join();
        assertThat(remote.destinations()).extracting(d -> d.address().getPort()).containsOnly(10025);
    }

    @Test
    void anUnresolvableHostIsReportedAndTheOthersStillPlanned() {
        var mxList = List.of(MxHost.parse("mx_list", "nowhere.example.com"), MxHost.parse("mx_list", "mx2.example.com"));
        var plan = planner.plan("x.test", mxList, EgressPath.DEFAULT, OptionalInt.empty()).join();
        assertThat(plan.destinations()).hasSize(1);
        assertThat(plan.lookupErrors()).singleElement().asString().startsWith("nowhere.example.com: ");
    }
}
