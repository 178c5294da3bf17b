package dev.sluice.policy.egress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.policy.Policy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How {@code policy-extras.queue} composes a queue's config: later, more specific blocks win; wildcards. */
class QueueHelperConfigTest {
    @TempDir
    Path dir;
    private final TestPolicies policies = new TestPolicies();

    @Test
    void blocksComposeFromDefaultToDomainTenantAndCampaign() throws Exception {
        Files.writeString(dir.resolve("queues.toml"), """
                [tenant.acme]
                egress_pool = "acme-pool"
                max_age = "10 hours"

                [queue.default]
                max_age = "24 hours"
                retry_interval = "20 minutes"

                [queue."gmail.com"]
                max_age = "22 hours"
                retry_interval = "17 minutes"

                [queue."gmail.com".acme]
                max_retry_interval = "2 hours"

                [queue."gmail.com".acme.welcome]
                retry_interval = "5 minutes"

                [queue."*.example.net"]
                egress_pool = "wild"
                """);
        Path file = TestPolicies.write(dir, "init.lua",
                "local helper = require('policy-extras.queue'):setup { '" + dir.resolve("queues.toml") + "' }",
                "kumo.on('resolve', function(domain, tenant, campaign)",
                "  return helper:resolve_config(domain, tenant, campaign)",
                "end)");
        try (Policy policy = policies.load(file)) {
            assertThat(policy.call("resolve", "other.com", null, null))
                    .isEqualTo(Map.of("max_age", "24 hours", "retry_interval", "20 minutes"));
            assertThat(policy.call("resolve", "gmail.com", null, null))
                    .isEqualTo(Map.of("max_age", "22 hours", "retry_interval", "17 minutes"));
            // the tenant block beats the domain block; domain+tenant and the campaign refine further
            assertThat(policy.call("resolve", "gmail.com", "acme", "welcome")).isEqualTo(Map.of(
                    "max_age", "10 hours", "retry_interval", "5 minutes", "max_retry_interval", "2 hours",
                    "egress_pool", "acme-pool"));
            assertThat(policy.call("resolve", "gmail.com", "acme", "other")).isEqualTo(Map.of(
                    "max_age", "10 hours", "retry_interval", "17 minutes", "max_retry_interval", "2 hours",
                    "egress_pool", "acme-pool"));
            assertThat(policy.call("resolve", "mx.example.net", null, null)).isEqualTo(Map.of(
                    "max_age", "24 hours", "retry_interval", "20 minutes", "egress_pool", "wild"));
        }
    }
}
