package dev.sluice.egress.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.policy.IgnoredKeys;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.PolicyOptions;
import dev.sluice.policy.egress.EgressPolicyModule;
import dev.sluice.testkit.Dnsmasq;
import dev.sluice.testkit.Peers;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code kumo.dns.lookup_*} and {@code configure_resolver}'s options, against a real dnsmasq on a loopback port. */
class DnsLookupTest {
    @RegisterExtension
    final Peers peers = new Peers();
    @TempDir
    Path dir;

    private final Resolvers resolvers = new Resolvers(() -> TestZoneResolver.of());

    @AfterEach
    void closeResolvers() {
        resolvers.close();
    }

    private Dnsmasq dnsmasq() {
        return peers.add(Dnsmasq.builder()
                .option("--local=/test/") // names under .test it does not know are NXDOMAIN
                .mx("example.test", "mx2.example.test", 10)
                .mx("example.test", "mx1.example.test", 10)
                .mx("example.test", "backup.example.test", 20)
                .hostRecord("mx1.example.test", "127.0.0.1", "::1")
                .hostRecord("plain.example.test", "127.0.0.3")
                .option("--txt-record=example.test,v=spf1 -all")
                .option("--txt-record=example.test,hello,world")
                .option("--ptr-record=5.0.0.127.in-addr.arpa,mail.example.test")
                .start());
    }

    private Policy load(String lua) throws Exception {
        Path file = dir.resolve("policy.lua");
        Files.writeString(file, lua);
        return Policy.load(new PolicyOptions(file, 1, List.of(new DnsPolicyModule(resolvers)), null));
    }

    private static String server(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    @Test
    void lookupMxReturnsKumoMtasTable() throws Exception {
        Dnsmasq dns = dnsmasq();
        try (Policy p = load("""
                kumo.dns.configure_resolver { name_servers = { '%s' } }
                kumo.on('mx', function(domain)
                  local mx = kumo.dns.lookup_mx(domain)
                  local prefs = {}
                  for pref, hosts in pairs(mx.by_pref) do
                    prefs[#prefs + 1] = tostring(math.type(pref)) .. ' ' .. pref .. '=' .. table.concat(hosts, ',')
                  end
                  table.sort(prefs)
                  return { hosts = table.concat(mx.hosts, ' '), site_name = mx.site_name, domain_name = mx.domain_name,
                           is_mx = mx.is_mx, is_domain_literal = mx.is_domain_literal, prefs = table.concat(prefs, ';'),
                           mta_sts = mx.mta_sts }
                end)
                """.formatted(server(dns.address())))) {
            assertThat(p.call("mx", "Example.Test")).isEqualTo(Map.of(
                    "hosts", "mx1.example.test. mx2.example.test. backup.example.test.",
                    "site_name", "(mx1|mx2|backup).example.test",
                    "domain_name", "example.test.",
                    "is_mx", true,
                    "is_domain_literal", false,
                    "prefs", "integer 10=mx1.example.test.,mx2.example.test.;integer 20=backup.example.test.",
                    "mta_sts", "None"));
            // no MX: the name itself stands in, preference 1, is_mx false
            assertThat(p.call("mx", "plain.example.test")).asInstanceOf(
                    org.assertj.core.api.InstanceOfAssertFactories.MAP).containsEntry("hosts", "plain.example.test.")
                    .containsEntry("prefs", "integer 1=plain.example.test.").containsEntry("is_mx", false)
                    .containsEntry("site_name", "plain.example.test");
            assertThat(p.call("mx", "[IPv6:::1]")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                    .containsEntry("hosts", "::1").containsEntry("is_domain_literal", true)
                    .containsEntry("domain_name", "[IPv6:::1]");
            assertThatThrownBy(() -> p.call("mx", "missing.test")).isInstanceOf(PolicyException.class)
                    .hasMessageContaining("policy.lua:3:").hasMessageContaining("lookup_mx")
                    .hasMessageContaining("missing.test").hasMessageContaining("NXDOMAIN");
        }
    }

    @Test
    void lookupAddrTxtAndPtr() throws Exception {
        Dnsmasq dns = dnsmasq();
        try (Policy p = load("""
                kumo.dns.configure_resolver { name_servers = { '%s' } }
                kumo.on('addr', function(name, strategy) return table.concat(kumo.dns.lookup_addr(name, nil, strategy), ' ') end)
                kumo.on('txt', function(name)
                  local t = kumo.dns.lookup_txt(name)
                  table.sort(t)
                  return table.concat(t, '|')
                end)
                kumo.on('ptr', function(ip) return table.concat(kumo.dns.lookup_ptr(ip), ' ') end)
                """.formatted(server(dns.address())))) {
            assertThat(p.call("addr", "mx1.example.test")).isEqualTo("127.0.0.1 ::1");
            assertThat(p.call("addr", "mx1.example.test", "Ipv6Only")).isEqualTo("::1");
            assertThat(p.call("txt", "example.test")).isEqualTo("helloworld|v=spf1 -all");
            assertThat(p.call("txt", "plain.example.test")).isEqualTo("");
            assertThat(p.call("ptr", "127.0.0.5")).isEqualTo("mail.example.test.");
            assertThatThrownBy(() -> p.call("addr", "missing.test")).isInstanceOf(PolicyException.class)
                    .hasMessageContaining("lookup_addr").hasMessageContaining("missing.test");
            assertThatThrownBy(() -> p.call("txt", "missing.test")).isInstanceOf(PolicyException.class)
                    .hasMessageContaining("NXDOMAIN");
            assertThatThrownBy(() -> p.call("ptr", "not-an-ip")).isInstanceOf(PolicyException.class)
                    .hasMessageContaining("'not-an-ip' is not an IP address");
        }
    }

    @Test
    void defineResolverNamesAResolverForTheLookups() throws Exception {
        try (Policy p = load("""
                kumo.dns.define_resolver('zones', { Test = { zones = {
                  '$ORIGIN z.test.\\n@ MX 5 mx.z.test.\\n@ TXT "a" "b"\\n',
                  '$ORIGIN 0.0.127.in-addr.arpa.\\n5 PTR mail.z.test.\\n',
                } } })
                kumo.on('mx', function(r) return kumo.dns.lookup_mx('z.test', r).site_name end)
                kumo.on('txt', function() return kumo.dns.lookup_txt('z.test', 'zones')[1] end)
                kumo.on('ptr', function() return kumo.dns.lookup_ptr('127.0.0.5', 'zones')[1] end)
                """)) {
            assertThat(p.call("mx", "zones")).isEqualTo("mx.z.test");
            assertThat(p.call("txt")).isEqualTo("ab");
            assertThat(p.call("ptr")).isEqualTo("mail.z.test.");
            assertThatThrownBy(() -> p.call("mx", "other")).isInstanceOf(PolicyException.class)
                    .hasMessageContaining("no resolver named 'other'");
        }
    }

    @Test
    void domainAndSearchApplyToAddressLookups() throws Exception {
        Dnsmasq dns = dnsmasq();
        try (Policy p = load("""
                kumo.dns.configure_resolver { name_servers = { '%s' }, domain = 'nothing.test', search = { 'example.test' } }
                kumo.on('addr', function(name) return table.concat(kumo.dns.lookup_addr(name), ' ') end)
                """.formatted(server(dns.address())))) {
            assertThat(p.call("addr", "plain")).isEqualTo("127.0.0.3");
        }
    }

    /** A name server that never answers: each query is counted. */
    @Test
    void timeoutAndAttemptsOptionsBoundTheQueries() throws Exception {
        try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            AtomicInteger queries = new AtomicInteger();
            Thread counter = Thread.ofPlatform().daemon().start(() -> {
                byte[] buf = new byte[512];
                while (!silent.isClosed()) {
                    try {
                        silent.receive(new DatagramPacket(buf, buf.length));
                        queries.incrementAndGet();
                    } catch (java.io.IOException closed) {
                        return;
                    }
                }
            });
            try (Policy p = load("""
                    kumo.dns.configure_resolver {
                      name_servers = { '127.0.0.1:%d' },
                      options = { timeout = '300ms', attempts = 2, cache_size = 100 },
                    }
                    kumo.on('txt', function() return kumo.dns.lookup_txt('slow.test') end)
                    """.formatted(silent.getLocalPort()))) {
                long start = System.nanoTime();
                assertThatThrownBy(() -> p.call("txt")).isInstanceOf(PolicyException.class)
                        .hasMessageContaining("lookup_txt").hasMessageContaining("slow.test");
                long millis = (System.nanoTime() - start) / 1_000_000;
                assertThat(queries.get()).as("one query plus two retries").isEqualTo(3);
                assertThat(millis).as("three 300 ms timeouts, not the 5 s default").isBetween(800L, 4000L);
            }
            silent.close();
            counter.join(5000);
        }
        assertThat(IgnoredKeys.list()).contains(new IgnoredKeys.IgnoredKey("configure_resolver.options", "cache_size"));
    }

    @Test
    void unknownResolverOptionIsAnErrorWithTheLine() {
        assertThatThrownBy(() -> load("\nkumo.dns.configure_resolver { name_servers = { '127.0.0.1:53' }, options = { timeot = '1s' } }\n"))
                .isInstanceOf(PolicyException.class).hasMessageContaining("policy.lua:2:")
                .hasMessageContaining("configure_resolver.options: unknown key 'timeot'");
    }

    @Test
    void siteNameFactorsTheHostsAsKumoMtaDoes() {
        assertThat(SiteNames.factor(List.of("gmail-smtp-in.l.google.com.", "alt1.gmail-smtp-in.l.google.com.",
                "alt2.gmail-smtp-in.l.google.com.", "alt3.gmail-smtp-in.l.google.com.", "alt4.gmail-smtp-in.l.google.com.")))
                .isEqualTo("(alt1|alt2|alt3|alt4)?.gmail-smtp-in.l.google.com");
        assertThat(SiteNames.factor(List.of("."))).isEqualTo("");
        assertThat(SiteNames.factor(List.of("MX.Example.COM."))).isEqualTo("mx.example.com");
        assertThat(SiteNames.factor(List.of("a.one.net.", "b.two.org."))).isEqualTo("(a|b).(one|two).(net|org)");
    }

    /** {@code require 'policy-extras.rollup'} over the same lookups. */
    @Test
    void rollupHelperReroutesTheDomainsOfOneProviderAndQueuesToTheirBestMxAddresses() throws Exception {
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
