package dev.sluice.policy.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.policy.Policy;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InvokeEgressPathConfigTest {
    @TempDir
    Path dir;
    private final TestPolicies policies = new TestPolicies();

    @Test
    void returnsThePathConfigAsAPlainTableThatMakeEgressPathTakesBack() throws Exception {
        Path file = TestPolicies.write(dir, "p.lua",
                "kumo.on('get_egress_path_config', function(domain, source, site)",
                "  if domain == 'defaults.example' then return nil end",
                "  if domain == 'broken.example' then error('no path for ' .. site) end",
                "  return kumo.make_egress_path { connection_limit = 5, provider_name = 'provider:' .. site,",
                "    refresh_strategy = 'Epoch', max_message_rate = '100/h', skip_hosts = { '10.0.0.0/8' },",
                "    idle_timeout = '2s', enable_tls = 'Required', ehlo_domain = source .. '.example' }",
                "end)",
                "kumo.on('test', function(domain)",
                "  local t = kumo.invoke_get_egress_path_config(domain, 'unspecified', 'mx.site')",
                "  return { table = t, again = kumo.make_egress_path(t) }",
                "end)",
                "kumo.on('bad', function() return kumo.invoke_get_egress_path_config('x', 1, 'y') end)");
        try (Policy policy = policies.load(file)) {
            @SuppressWarnings("unchecked") var r = (Map<String, Object>) policy.call("test", "example.com");
            @SuppressWarnings("unchecked") var t = (Map<String, Object>) r.get("table");
            assertThat(t).containsEntry("provider_name", "provider:mx.site")
                    .containsEntry("connection_limit", 5L)
                    .containsEntry("refresh_strategy", "Epoch")
                    .containsEntry("max_message_rate", "100/3600s")
                    .containsEntry("skip_hosts", List.of("10.0.0.0/8"))
                    .containsEntry("idle_timeout", "2s")
                    .containsEntry("enable_tls", "Required")
                    .containsEntry("ehlo_domain", "unspecified.example")
                    .containsEntry("max_recipients_per_batch", 100L);
            var resolver = new EgressConfigResolver(policy, policies.egress.definitions());
            assertThat(r.get("again")).isEqualTo(resolver.path("example.com", "unspecified", "mx.site"));

            @SuppressWarnings("unchecked") var d = (Map<String, Object>) policy.call("test", "defaults.example");
            assertThat(d.get("again")).isEqualTo(EgressPath.DEFAULT);
            @SuppressWarnings("unchecked") var dt = (Map<String, Object>) d.get("table");
            assertThat(dt).doesNotContainKey("provider_name").containsEntry("refresh_strategy", "Ttl");

            assertThatThrownBy(() -> policy.call("test", "broken.example")).hasMessage(file + ":3: no path for mx.site");
            assertThatThrownBy(() -> policy.call("bad"))
                    .hasMessage(file + ":12: kumo.invoke_get_egress_path_config: argument #2 must be a string, got number");
        }
    }
}
