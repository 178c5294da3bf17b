package dev.sluice.policy.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EgressConfigResolverTest {
    @TempDir
    Path dir;
    private final TestPolicies policies = new TestPolicies();
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
    private final InstantSource clock = () -> now.get();

    private void advance(Duration d) {
        now.set(now.get().plus(d));
    }

    private EgressConfigResolver resolver(Policy policy) {
        return new EgressConfigResolver(policy, policies.egress.definitions(), clock);
    }

    @Test
    void sourceIsCachedForItsTtl() throws Exception {
        Path file = TestPolicies.write(dir, "p.lua",
                "kumo.on('get_egress_source', function(name)",
                "  test.count('source:' .. name)",
                "  return kumo.make_egress_source { name = name, source_address = '127.0.0.5', ttl = '10s' }",
                "end)");
        try (Policy policy = policies.load(file)) {
            var r = resolver(policy);
            assertThat(r.source("ip-1").sourceAddress()).contains(InetAddress.getByName("127.0.0.5"));
            r.source("ip-1");
            advance(Duration.ofSeconds(9));
            r.source("ip-1");
            assertThat(policies.count("source:ip-1")).isEqualTo(1);
            r.source("ip-2");
            assertThat(policies.count("source:ip-2")).isEqualTo(1);
            advance(Duration.ofSeconds(1));
            r.source("ip-1");
            assertThat(policies.count("source:ip-1")).isEqualTo(2);
        }
    }

    @Test
    void poolIsCachedForItsTtlAndResolvesEveryMember() throws Exception {
        Path file = TestPolicies.write(dir, "p.lua",
                "kumo.on('get_egress_source', function(name)",
                "  test.count('source:' .. name)",
                "  if name == 'ghost' then return nil end",
                "  if name == 'cursed' then error('no such IP: ' .. name) end",
                "  return kumo.make_egress_source { name = name }",
                "end)",
                "kumo.on('get_egress_pool', function(name)",
                "  test.count('pool:' .. name)",
                "  if name == 'haunted' then",
                "    return kumo.make_egress_pool { name = name, entries = { { name = 'ip-1' }, { name = 'ghost' } } }",
                "  end",
                "  if name == 'doomed' then",
                "    return kumo.make_egress_pool { name = name, entries = { { name = 'cursed' } } }",
                "  end",
                "  return kumo.make_egress_pool { name = name, ttl = '2 minutes',",
                "    entries = { { name = 'ip-1', weight = 5 }, { name = 'ip-2', weight = 0 } } }",
                "end)");
        try (Policy policy = policies.load(file)) {
            var r = resolver(policy);
            EgressPool pool = r.pool("pool-1");
            assertThat(pool.entries()).containsExactly(new EgressPool.Entry("ip-1", 5), new EgressPool.Entry("ip-2", 0));
            assertThat(pool.ttl()).isEqualTo(Duration.ofMinutes(2));
            assertThat(policies.count("source:ip-1")).isEqualTo(1);
            assertThat(policies.count("source:ip-2")).isEqualTo(1);
            advance(Duration.ofSeconds(119));
            r.pool("pool-1");
            assertThat(policies.count("pool:pool-1")).isEqualTo(1);
            advance(Duration.ofSeconds(1));
            r.pool("pool-1");
            assertThat(policies.count("pool:pool-1")).isEqualTo(2);

            assertThatThrownBy(() -> r.pool("haunted"))
                    .isInstanceOf(PolicyException.class)
                    .hasMessage(file + ": resolving egress pool 'haunted': get_egress_source returned nil for egress"
                            + " source 'ghost' and no kumo.define_egress_source defined it");
            assertThatThrownBy(() -> r.pool("doomed"))
                    .hasMessage(file + ":4: resolving egress pool 'doomed': no such IP: cursed");
        }
    }

    @Test
    void queueConfigFirstNonNilHandlerWinsAndIsCachedForRefreshInterval() throws Exception {
        Path file = TestPolicies.write(dir, "p.lua",
                "kumo.on('get_queue_config', function(domain, tenant, campaign, routing_domain)",
                "  test.count('first')",
                "  if domain == 'example.com' and tenant == 't1' and campaign == nil and routing_domain == 'r.example' then",
                "    return kumo.make_queue_config { egress_pool = 'pool-1', refresh_interval = '30s',",
                "      retry_interval = '5m', max_retry_interval = '1h', max_age = '2 days', max_message_rate = '100/hr',",
                "      reap_interval = '1m' }",
                "  end",
                "end)",
                "kumo.on('get_queue_config', function(domain)",
                "  test.count('second')",
                "  if domain == 'other.example' then return kumo.make_queue_config { egress_pool = 'pool-2' } end",
                "end)");
        try (Policy policy = policies.load(file)) {
            var r = resolver(policy);
            QueueConfig q = r.queueConfig("example.com", "t1", null, "r.example");
            assertThat(q.poolName()).isEqualTo("pool-1");
            assertThat(q.retryInterval()).isEqualTo(Duration.ofMinutes(5));
            assertThat(q.maxRetryInterval()).contains(Duration.ofHours(1));
            assertThat(q.maxAge()).isEqualTo(Duration.ofDays(2));
            assertThat(q.maxMessageRate()).contains(new ThrottleSpec(100, Duration.ofHours(1), false));
            assertThat(q.reapInterval()).isEqualTo(Duration.ofMinutes(1));
            assertThat(policies.count("second")).isZero();

            assertThat(r.queueConfig("other.example", null, null, null).poolName()).isEqualTo("pool-2");
            assertThat(policies.count("second")).isEqualTo(1);

            QueueConfig defaults = r.queueConfig("nobody.example", null, null, null);
            assertThat(defaults).isEqualTo(QueueConfig.DEFAULT);
            assertThat(defaults.poolName()).isEqualTo("unspecified");
            assertThat(defaults.retryInterval()).isEqualTo(Duration.ofMinutes(20));
            assertThat(defaults.maxAge()).isEqualTo(Duration.ofDays(7));

            assertThat(policies.count("first")).isEqualTo(3);
            advance(Duration.ofSeconds(29));
            r.queueConfig("example.com", "t1", null, "r.example");
            assertThat(policies.count("first")).isEqualTo(3);
            advance(Duration.ofSeconds(1));
            r.queueConfig("example.com", "t1", null, "r.example");
            assertThat(policies.count("first")).isEqualTo(4);
            // defaults are cached for the default refresh_interval, 1 minute
            r.queueConfig("nobody.example", null, null, null);
            assertThat(policies.count("first")).isEqualTo(4);
        }
    }

    @Test
    void pathIsCachedPerSourceAndSiteForRefreshInterval() throws Exception {
        Path file = TestPolicies.write(dir, "p.lua",
                "kumo.on('get_egress_path_config', function(routing_domain, egress_source, site_name)",
                "  test.count(egress_source .. '->' .. site_name)",
                "  return kumo.make_egress_path { connection_limit = 4, refresh_interval = '5s', enable_tls = 'Required' }",
                "end)");
        try (Policy policy = policies.load(file)) {
            var r = resolver(policy);
            EgressPath p = r.path("example.com", "ip-1", "mx.example.com");
            assertThat(p.connectionLimit()).isEqualTo(4);
            assertThat(p.enableTls()).isEqualTo(TlsMode.Required);
            r.path("example.com", "ip-1", "mx.example.com");
            r.path("example.com", "ip-2", "mx.example.com");
            assertThat(policies.count("ip-1->mx.example.com")).isEqualTo(1);
            assertThat(policies.count("ip-2->mx.example.com")).isEqualTo(1);
            advance(Duration.ofSeconds(5));
            r.path("example.com", "ip-1", "mx.example.com");
            assertThat(policies.count("ip-1->mx.example.com")).isEqualTo(2);
        }
    }

    @Test
    void withoutHandlersQueueAndPathAreDefaultsAndUnspecifiedIsBuiltIn() throws Exception {
        Path file = TestPolicies.write(dir, "p.lua", "-- nothing");
        try (Policy policy = policies.load(file)) {
            var r = resolver(policy);
            assertThat(r.path("example.com", "unspecified", "mx.example.com")).isEqualTo(EgressPath.DEFAULT);
            assertThat(r.queueConfig("example.com", null, null, null)).isEqualTo(QueueConfig.DEFAULT);
            assertThat(r.pool("unspecified").entries()).containsExactly(new EgressPool.Entry("unspecified", 1));
            EgressSource s = r.source("unspecified");
            assertThat(s.protocol()).isInstanceOf(ProxyProtocol.Direct.class);
            assertThat(s.sourceAddress()).isEmpty();
            assertThatThrownBy(() -> r.source("ip-1"))
                    .isInstanceOf(PolicyException.class)
                    .hasMessage(file + ": no egress source named 'ip-1': no get_egress_source handler and no"
                            + " kumo.define_egress_source defined it");
        }
    }

    @Test
    void unspecifiedNeverCallsTheEvents() throws Exception {
        Path file = TestPolicies.write(dir, "p.lua",
                "kumo.on('get_egress_source', function(name) test.count('source') error('must not be called') end)",
                "kumo.on('get_egress_pool', function(name) test.count('pool') error('must not be called') end)");
        try (Policy policy = policies.load(file)) {
            var r = resolver(policy);
            assertThat(r.pool("unspecified").name()).isEqualTo("unspecified");
            assertThat(r.source("unspecified").name()).isEqualTo("unspecified");
            assertThat(policies.count("source") + policies.count("pool")).isZero();
        }
    }

    @Test
    void nilForANamedSourceIsAnErrorNamingIt() throws Exception {
        Path file = TestPolicies.write(dir, "p.lua",
                "kumo.on('get_egress_source', function(name)",
                "  if name == 'ip-1' then return kumo.make_egress_source { name = 'ip-1' } end",
                "end)");
        try (Policy policy = policies.load(file)) {
            var r = resolver(policy);
            assertThat(r.source("ip-1").name()).isEqualTo("ip-1");
            assertThatThrownBy(() -> r.source("ip-9"))
                    .isInstanceOf(PolicyException.class)
                    .hasMessage(file + ": get_egress_source returned nil for egress source 'ip-9' and no"
                            + " kumo.define_egress_source defined it")
                    .extracting(e -> ((PolicyException) e).event()).isEqualTo("get_egress_source");
        }
    }

    @Test
    void aQueueConfigThatTimesOutFailsAtOnceForAMinuteWhileOtherDomainsResolve() throws Exception {
        Path file = TestPolicies.write(dir, "p.lua",
                "kumo.on('get_queue_config', function(domain)",
                "  test.count('queue:' .. domain)",
                "  if domain == 'loop.test' then while true do end end",
                "  return kumo.make_queue_config { egress_pool = 'pool-1' }",
                "end)");
        try (Policy policy = policies.load(file, Duration.ofMillis(300))) {
            var r = resolver(policy);
            assertThatThrownBy(() -> r.queueConfig("loop.test", null, null, null))
                    .isInstanceOf(PolicyException.class)
                    .hasMessage(file + ":3: policy call exceeded 0.3 s");
            // the next messages of that domain fail at once, without holding a Lua state for 0.3 s again
            for (int i = 0; i < 3; i++) {
                assertThatThrownBy(() -> r.queueConfig("loop.test", null, null, null))
                        .isInstanceOf(PolicyException.class)
                        .hasMessage(file + ":3: policy call exceeded 0.3 s (within the last 60 s; not run again"
                                + " until then)")
                        .matches(e -> ((PolicyException) e).timedOut());
            }
            assertThat(policies.count("queue:loop.test")).isEqualTo(1);
            assertThat(r.queueConfig("ok.test", null, null, null).poolName()).isEqualTo("pool-1");
            advance(EgressConfigResolver.TIMED_OUT_TTL);
            assertThatThrownBy(() -> r.queueConfig("loop.test", null, null, null))
                    .hasMessage(file + ":3: policy call exceeded 0.3 s");
            assertThat(policies.count("queue:loop.test")).isEqualTo(2);
        }
    }

    @Test
    void handlerErrorsKeepFileAndLine() throws Exception {
        Path file = TestPolicies.write(dir, "p.lua",
                "kumo.on('get_egress_path_config', function()",
                "  return kumo.make_egress_path { conection_limit = 4 }",
                "end)");
        try (Policy policy = policies.load(file)) {
            assertThatThrownBy(() -> resolver(policy).path("example.com", "ip-1", "mx"))
                    .hasMessage(file + ":2: make_egress_path: unknown key 'conection_limit'");
        }
    }

    @Test
    void plainTablesAreAcceptedAndOtherValuesRejected() throws Exception {
        Path file = TestPolicies.write(dir, "p.lua",
                "kumo.on('get_egress_source', function(name)",
                "  if name == 'table' then return { name = 'table', socks5_proxy_server = '127.0.0.1:1080' } end",
                "  if name == 'broken' then return { name = 'broken', socks5_proxy_source_address = '127.0.0.1' } end",
                "  return 'ip-1'",
                "end)");
        try (Policy policy = policies.load(file)) {
            var r = resolver(policy);
            assertThat(r.source("table").protocol()).isInstanceOf(ProxyProtocol.Socks5.class);
            assertThatThrownBy(() -> r.source("broken"))
                    .hasMessage(file + ": get_egress_source('broken'): make_egress_source: socks5_proxy_source_address"
                            + " is set but socks5_proxy_server is not");
            assertThatThrownBy(() -> r.source("other"))
                    .hasMessage(file + ": get_egress_source('other') returned a string 'ip-1', expected the result of"
                            + " kumo.make_egress_source{...}");
        }
    }

    @Test
    void legacyDefinitionsServeNamesTheEventsDoNotAndEventsWin() throws Exception {
        Path file = TestPolicies.write(dir, "p.lua",
                "kumo.on('init', function()",
                "  kumo.define_egress_source { name = 'ip-1', source_address = '127.0.0.1' }",
                "  kumo.define_egress_source { name = 'ip-2', source_address = '127.0.0.2' }",
                "  kumo.define_egress_pool { name = 'pool-1', entries = { { name = 'ip-1' }, { name = 'ip-2', weight = 2 } } }",
                "  kumo.define_egress_pool { name = 'pool-2', entries = { { name = 'ip-2' } } }",
                "end)",
                "kumo.on('get_egress_source', function(name)",
                "  if name == 'ip-1' then return kumo.make_egress_source { name = 'ip-1', source_address = '127.0.0.11' } end",
                "end)",
                "kumo.on('get_egress_pool', function(name)",
                "  if name == 'pool-1' then return kumo.make_egress_pool { name = 'pool-1', entries = { { name = 'ip-1' } } } end",
                "end)");
        try (Policy policy = policies.load(file)) {
            policy.runOnce("init");
            var r = resolver(policy);
            assertThat(r.source("ip-1").sourceAddress()).contains(InetAddress.getByName("127.0.0.11"));
            assertThat(r.source("ip-2").sourceAddress()).contains(InetAddress.getByName("127.0.0.2"));
            assertThat(r.pool("pool-1").entries()).containsExactly(new EgressPool.Entry("ip-1", 1));
            assertThat(r.pool("pool-2").entries()).containsExactly(new EgressPool.Entry("ip-2", 1));
            assertThat(policies.egress.definitions().sources()).extracting(EgressSource::name).containsExactly("ip-1", "ip-2");
            assertThat(policies.egress.definitions().pools()).extracting(EgressPool::name).containsExactly("pool-1", "pool-2");
        }
    }

    @Test
    void legacyDefinitionErrorsNameTheFunction() throws Exception {
        Path file = TestPolicies.write(dir, "p.lua",
                "kumo.on('init', function()",
                "  kumo.define_egress_source { name = 'ip-1', socks5_proxy_username = 'u' }",
                "end)");
        try (Policy policy = policies.load(file)) {
            assertThatThrownBy(() -> policy.runOnce("init"))
                    .hasMessage(file + ":2: define_egress_source: socks5_proxy_username is set but socks5_proxy_server is not");
        }
    }

    @Test
    void epochRefreshedQueueAndPathConfigsAreFetchedAgainWhenTheEpochMovesAndOnlyThen() throws Exception {
        Path file = TestPolicies.write(dir, "p.lua",
                "kumo.on('get_queue_config', function(domain)",
                "  test.count('queue:' .. domain)",
                "  if domain == 'ttl.example' then return kumo.make_queue_config { refresh_interval = '10s' } end",
                "  return kumo.make_queue_config { refresh_strategy = 'Epoch', refresh_interval = '10s' }",
                "end)",
                "kumo.on('get_egress_path_config', function(domain, source, site)",
                "  test.count('path:' .. domain)",
                "  return kumo.make_egress_path { refresh_strategy = 'Epoch', provider_name = 'p' }",
                "end)",
                "kumo.on('bump', function() kumo.bump_config_epoch() end)");
        try (Policy policy = policies.load(file)) {
            var r = resolver(policy);
            assertThat(r.queueConfig("epoch.example", null, null, null).refreshStrategy()).isEqualTo(RefreshStrategy.Epoch);
            r.queueConfig("ttl.example", null, null, null);
            r.path("epoch.example", "s", "site");
            advance(Duration.ofHours(1)); // far past refresh_interval: the Epoch configs stay
            r.queueConfig("epoch.example", null, null, null);
            r.path("epoch.example", "s", "site");
            assertThat(policies.count("queue:epoch.example")).isEqualTo(1);
            assertThat(policies.count("path:epoch.example")).isEqualTo(1);
            r.queueConfig("ttl.example", null, null, null);
            assertThat(policies.count("queue:ttl.example")).isEqualTo(2);

            policy.call("bump"); // kumo.bump_config_epoch()
            r.queueConfig("epoch.example", null, null, null);
            r.path("epoch.example", "s", "site");
            r.queueConfig("ttl.example", null, null, null); // within its 10 s: the epoch does not refresh a Ttl config
            assertThat(policies.count("queue:epoch.example")).isEqualTo(2);
            assertThat(policies.count("path:epoch.example")).isEqualTo(2);
            assertThat(policies.count("queue:ttl.example")).isEqualTo(2);
        }
    }

    @Test
    void aReloadOfThePolicyFileFetchesEveryConfigAgainWhateverItsTtl() throws Exception {
        Path file = TestPolicies.write(dir, "p.lua",
                "kumo.on('get_queue_config', function(domain) return kumo.make_queue_config { egress_pool = 'pool-a' } end)",
                "kumo.on('get_egress_path_config', function() return kumo.make_egress_path { connection_limit = 3 } end)",
                "kumo.on('get_egress_source', function(name) return kumo.make_egress_source { name = name, ehlo_domain = 'a.test' } end)");
        try (Policy policy = policies.load(file)) {
            var r = resolver(policy);
            assertThat(r.queueConfig("example.com", null, null, null).poolName()).isEqualTo("pool-a");
            assertThat(r.path("example.com", "ip-1", "mx.example.com").connectionLimit()).isEqualTo(3);
            assertThat(r.source("ip-1").ehloDomain()).contains("a.test");
            TestPolicies.write(dir, "p.lua",
                    "kumo.on('get_queue_config', function(domain) return kumo.make_queue_config { egress_pool = 'pool-b' } end)",
                    "kumo.on('get_egress_path_config', function() return kumo.make_egress_path { connection_limit = 7 } end)",
                    "kumo.on('get_egress_source', function(name) return kumo.make_egress_source { name = name, ehlo_domain = 'b.test' } end)");
            assertThat(r.queueConfig("example.com", null, null, null).poolName()).isEqualTo("pool-a"); // cached
            policy.reload("test");
            assertThat(r.queueConfig("example.com", null, null, null).poolName()).isEqualTo("pool-b");
            assertThat(r.path("example.com", "ip-1", "mx.example.com").connectionLimit()).isEqualTo(7);
            assertThat(r.source("ip-1").ehloDomain()).contains("b.test");
        }
    }
}
