package dev.sluice.egress.dns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyOptions;
import dev.sluice.policy.egress.EgressPolicyModule;
import dev.sluice.testkit.Dnsmasq;
import dev.sluice.testkit.Peers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code require 'policy-extras.rollup'} against real MX records served by dnsmasq. */
class RollupHelperTest {
    @RegisterExtension
    final Peers peers = new Peers();
    @TempDir
    Path dir;

    private final Resolvers resolvers = new Resolvers(() -> TestZoneResolver.of());

    @AfterEach
    void closeResolvers() {
        resolvers.close();
    }

    @Test
    void domainsHostedByOneProviderShareARoutingDomainAndItsQueueGoesToTheBestMxAddresses() throws Exception {
        Dnsmasq dns = peers.add(Dnsmasq.builder()
                .option("--local=/test/")
                .mx("tenant-a.test", "a-1.mail.provider.test", 10)
                .mx("tenant-a.test", "backup.elsewhere.test", 20)
                .mx("tenant-b.test", "b-1.mail.provider.test", 5)
                .mx("mixed.test", "x.mail.provider.test", 10)
                .mx("mixed.test", "y.other.test", 10)
                .hostRecord("a-1.mail.provider.test", "127.0.0.21", "::1")
                .start());
        Path file = dir.resolve("policy.lua");
        Files.writeString(file, """
                local rollup = require 'policy-extras.rollup'
                kumo.dns.configure_resolver { name_servers = { '%s' } }
                -- a stand-in for the message: the helper reads the first recipient and sets routing_domain
                local function message(domain)
                  local meta = {}
                  return {
                    recipient_list = function() return { { domain = domain } } end,
                    set_meta = function(_, k, v) meta[k] = v end,
                    meta = meta,
                  }
                end
                kumo.on('route', function(domain)
                  local msg = message(domain)
                  rollup.reroute_using_ip_rollup(msg, { ['.mail.provider.test'] = 'provider.ip_rollup', ['.other.test.'] = 'other.ip_rollup' })
                  return msg.meta.routing_domain or 'none'
                end)
                kumo.on('queue', function(domain, routing_domain)
                  local params = {}
                  rollup.apply_ip_rollup_to_queue_config(domain, routing_domain, params)
                  return params
                end)
                """.formatted(dns.address().getAddress().getHostAddress() + ":" + dns.address().getPort()));
        try (Policy p = Policy.load(new PolicyOptions(file, 1,
                List.of(new EgressPolicyModule(), new DnsPolicyModule(resolvers)), null))) {
            assertThat(p.call("route", "tenant-a.test")).isEqualTo("provider.ip_rollup"); // the best MX decides
            assertThat(p.call("route", "tenant-b.test")).isEqualTo("provider.ip_rollup");
            assertThat(p.call("route", "mixed.test")).isEqualTo("none"); // not every best MX is the provider's
            assertThat(p.call("route", "missing.test")).isEqualTo("none"); // NXDOMAIN is logged, not raised
            assertThat(p.call("queue", "tenant-a.test", "provider.ip_rollup")).isEqualTo(Map.of("protocol", Map.of(
                    "smtp", Map.of("mx_list", List.of(
                            Map.of("name", "a-1.mail.provider.test.", "addr", "127.0.0.21"),
                            Map.of("name", "a-1.mail.provider.test.", "addr", "::1"))))));
            assertThat(p.call("queue", "tenant-a.test", "tenant-a.test")).isEqualTo(Map.of());
        }
    }
}
