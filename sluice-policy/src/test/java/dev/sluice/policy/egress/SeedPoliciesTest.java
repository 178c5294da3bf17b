package dev.sluice.policy.egress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.policy.Policy;
import java.net.InetAddress;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The policy blocks of the seed documents, saved byte for byte as test resources, loaded unmodified with
 * {@code dofile} from a policy that adds only what they lack (pool, queue config with mx_list, path).
 */
class SeedPoliciesTest {
    @TempDir
    Path dir;
    private final TestPolicies policies = new TestPolicies();

    private Policy load(String seed, boolean withPool) throws Exception {
        Path block = TestPolicies.copyResource("seeds/" + seed, dir);
        Path file = TestPolicies.write(dir, "policy.lua",
                "dofile('" + block + "')",
                withPool ? "kumo.on('get_egress_pool', function(name)" : "",
                withPool ? "  return kumo.make_egress_pool { name = name, entries = { { name = 'ip-1' } } }" : "",
                withPool ? "end)" : "",
                "kumo.on('get_queue_config', function(domain, tenant, campaign, routing_domain)",
                "  return kumo.make_queue_config { egress_pool = 'pool-1',",
                "    protocol = { smtp = { mx_list = { '10.0.0.25:2525' } } } }",
                "end)",
                "kumo.on('get_egress_path_config', function(routing_domain, egress_source, site_name)",
                "  return kumo.make_egress_path { prohibited_hosts = {} }",
                "end)");
        return policies.load(file);
    }

    @Test
    void seed000DefinesAnHaproxySourceInInit() throws Exception {
        try (Policy policy = load("seed000_init.lua", false)) {
            policy.runOnce("init");
            policies.egress.definitions().define(new EgressPool("pool-1",
                    java.util.List.of(new EgressPool.Entry("ip-1", 1)), EgressSource.DEFAULT_TTL));
            var resolver = new EgressConfigResolver(policy, policies.egress.definitions());
            EgressSource s = resolver.source("ip-1");
            assertThat(s.sourceAddress()).contains(InetAddress.getByName("10.0.5.1"));
            assertThat(s.ehloDomain()).contains("mta1.examplecorp.com");
            var ha = (ProxyProtocol.HaProxy) s.protocol();
            assertThat(ha.server().toSocketAddress()).isEqualTo(new java.net.InetSocketAddress("10.0.5.10", 5000));
            assertThat(ha.sourceAddress()).isEqualTo(InetAddress.getByName("10.0.0.1"));
            assertThat(s.outboundAddress()).contains(InetAddress.getByName("10.0.0.1"));
            assertThat(resolver.queueConfig("example.com", null, null, null).poolName()).isEqualTo("pool-1");
            assertThat(resolver.pool("pool-1").entries()).extracting(EgressPool.Entry::name).containsExactly("ip-1");
            assertThat(policies.egress.definitions().sources()).containsExactly(s);
        }
    }

    @Test
    void seed001Socks5BlockBindsThenConnectsThroughTheProxy() throws Exception {
        try (Policy policy = load("seed001_socks5.lua", true)) {
            var resolver = new EgressConfigResolver(policy, policies.egress.definitions());
            EgressSource s = resolver.source("ip-1");
            assertThat(s.sourceAddress()).isEmpty();
            assertThat(s.ehloDomain()).contains("mta1.examplecorp.com");
            var socks = (ProxyProtocol.Socks5) s.protocol();
            assertThat(socks.server().toSocketAddress()).isEqualTo(new java.net.InetSocketAddress("10.0.5.10", 5000));
            assertThat(socks.sourceAddress()).contains(InetAddress.getByName("10.0.0.1"));
            assertThat(socks.hasCredentials()).isFalse();
            assertThat(socks.useTls()).isFalse();
            QueueConfig queue = resolver.queueConfig("example.com", null, null, null);
            assertThat(queue.mxList()).singleElement().satisfies(mx -> {
                assertThat(mx.address()).contains(InetAddress.getByName("10.0.0.25"));
                assertThat(mx.port()).hasValue(2525);
            });
            assertThat(resolver.pool(queue.poolName()).entries()).containsExactly(new EgressPool.Entry("ip-1", 1));
            assertThat(resolver.path("example.com", "ip-1", "mx_list:10.0.0.25").prohibitedHosts().isEmpty()).isTrue();
        }
    }

    @Test
    void seed001HaproxyBlock() throws Exception {
        try (Policy policy = load("seed001_haproxy.lua", true)) {
            var resolver = new EgressConfigResolver(policy, policies.egress.definitions());
            EgressSource s = resolver.source("ip-1");
            var ha = (ProxyProtocol.HaProxy) s.protocol();
            assertThat(ha.kind()).isEqualTo("haproxy");
            assertThat(ha.server().toSocketAddress()).isEqualTo(new java.net.InetSocketAddress("10.0.5.10", 5000));
            assertThat(ha.sourceAddress()).isEqualTo(InetAddress.getByName("10.0.0.1"));
            assertThat(s.sourceAddress()).isEmpty();
            assertThat(s.ehloDomain()).contains("mta1.examplecorp.com");
            assertThat(resolver.pool("pool-1").name()).isEqualTo("pool-1");
        }
    }
}
