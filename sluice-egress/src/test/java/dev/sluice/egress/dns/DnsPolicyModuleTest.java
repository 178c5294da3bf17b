package dev.sluice.egress.dns;

import dev.sluice.policy.egress.IpLookupStrategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.PolicyOptions;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DnsPolicyModuleTest {
    @TempDir
    Path dir;

    private final Resolvers resolvers = new Resolvers(() -> TestZoneResolver.of());

    private Policy load(String lua) throws Exception {
        Path file = dir.resolve("policy.lua");
        Files.writeString(file, lua);
        return Policy.load(new PolicyOptions(file, 1, List.of(new DnsPolicyModule(resolvers)), null));
    }

    @Test
    void configureTestResolverReplacesTheResolver() throws Exception {
        try (Policy p = load("""
                local kumo = require 'kumo'
                kumo.dns.configure_test_resolver {
                  [[
                  $ORIGIN proxy.test.
                  @ 300 A 127.0.0.1
                  ]],
                }
                """)) {
            assertThat(resolvers.configured()).isTrue();
            assertThat(resolvers.get().addresses("proxy.test", IpLookupStrategy.Ipv4AndIpv6).get())
                    .containsExactly(InetAddress.getByName("127.0.0.1"));
        }
    }

    @Test
    void configureResolverTestFormWithServfail() throws Exception {
        try (Policy p = load("""
                kumo.dns.configure_resolver {
                  Test = {
                    zones = { '$ORIGIN example.com.\\n@ MX 5 mx.example.com.\\nmx A 127.0.0.4\\n' },
                    servfail = { 'bad.example.com' },
                  },
                }
                """)) {
            assertThat(resolvers.get().mx("example.com").get()).containsExactly(new MxRecord(5, "mx.example.com"));
            assertThatThrownBy(() -> resolvers.get().mx("bad.example.com").get()).hasCauseInstanceOf(DnsFailureException.class);
        }
    }

    @Test
    void configureResolverWithNameServers() throws Exception {
        try (Policy p = load("""
                kumo.dns.configure_resolver {
                  name_servers = { '127.0.0.1:5353', { socket_addr = '[::1]:53' }, '127.0.0.2' },
                  options = {},
                }
                """)) {
            assertThat(resolvers.get()).isInstanceOfSatisfying(DnsServerResolver.class, r -> assertThat(r.servers())
                    .containsExactly(new InetSocketAddress("127.0.0.1", 5353), new InetSocketAddress("::1", 53),
                            new InetSocketAddress("127.0.0.2", 53)));
        }
    }

    @Test
    void badConfigurationFailsTheLoadWithTheLine() {
        assertThatThrownBy(() -> load("\nkumo.dns.configure_resolver { name_servers = { 'not an address' } }\n"))
                .isInstanceOf(PolicyException.class).hasMessageContaining("policy.lua:2:")
                .hasMessageContaining("name server");
    }
}
