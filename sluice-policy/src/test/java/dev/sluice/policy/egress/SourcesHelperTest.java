package dev.sluice.policy.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code require 'policy-extras.sources'}: a KumoMTA user's sources.toml (and an override file) drives
 * get_egress_source / get_egress_pool, proxy keys included; mistakes name the file and the block.
 */
class SourcesHelperTest {
    @TempDir
    Path dir;
    private final TestPolicies policies = new TestPolicies();

    private Path policy(String... files) throws Exception {
        StringBuilder list = new StringBuilder();
        for (String f : files) {
            list.append(list.isEmpty() ? "" : ", ").append("'").append(dir.resolve(f)).append("'");
        }
        return TestPolicies.write(dir, "init.lua",
                "local sources = require 'policy-extras.sources'",
                "sources:setup { " + list + " }");
    }

    @Test
    void sourcesAndWeightedPoolsComeFromTheFilesAndALaterFileOverridesKeyByKey() throws Exception {
        Files.writeString(dir.resolve("sources.toml"), """
                [source."ip-1"]
                source_address = "10.0.0.1"
                ehlo_domain = "mta1.example.com"

                [source."ip-2"]
                source_address = "10.0.0.2"
                socks5_proxy_server = "127.0.0.1:5000"
                socks5_proxy_source_address = "10.0.0.2"

                [source."ip-3"]
                ha_proxy_server = "127.0.0.1:5001"
                ha_proxy_source_address = "10.0.0.3"

                [pool."BestReputation"]
                [pool."BestReputation"."ip-1"]

                [pool."MediumReputation"]
                [pool."MediumReputation"."ip-2"]
                weight = 2
                [pool."MediumReputation"."ip-3"]
                weight = 1

                [pool."Parked"]
                """);
        Files.writeString(dir.resolve("override.json"), """
                // a JSON file may carry comments, as KumoMTA's json_load allows
                {"source": {"ip-1": {"ehlo_domain": "warm.example.com"}},
                 "pool": {"BestReputation": {"ip-1": {"weight": 5}}}}
                """);
        try (Policy policy = policies.load(policy("sources.toml", "override.json"))) {
            var r = new EgressConfigResolver(policy, policies.egress.definitions(), java.time.Clock.systemUTC());
            EgressSource ip1 = r.source("ip-1");
            assertThat(ip1.sourceAddress()).contains(InetAddress.getByName("10.0.0.1"));
            assertThat(ip1.ehloDomain()).contains("warm.example.com");
            assertThat(r.source("ip-2").protocol()).isInstanceOf(ProxyProtocol.Socks5.class);
            assertThat(r.source("ip-3").protocol()).isInstanceOf(ProxyProtocol.HaProxy.class);
            assertThat(r.pool("BestReputation").entries()).containsExactly(new EgressPool.Entry("ip-1", 5));
            assertThat(r.pool("MediumReputation").entries())
                    .containsExactly(new EgressPool.Entry("ip-2", 2), new EgressPool.Entry("ip-3", 1));
            assertThat(r.pool("Parked").entries()).isEmpty();
            assertThatThrownBy(() -> r.source("ip-9")).isInstanceOf(PolicyException.class)
                    .hasMessageContaining("egress source 'ip-9' is not defined in " + dir.resolve("sources.toml"));
        }
    }

    @Test
    void aBadKeyStopsTheStartNamingTheFileAndTheBlock() throws Exception {
        Files.writeString(dir.resolve("sources.toml"), """
                [source."ip-1"]
                source_address = "10.0.0.1"
                [source."ip-2"]
                source_adress = "10.0.0.2"
                """);
        assertThatThrownBy(() -> policies.load(policy("sources.toml")).close())
                .isInstanceOf(PolicyException.class)
                .hasMessageContaining(dir.resolve("sources.toml") + ": [source.\"ip-2\"]: ")
                .hasMessageContaining("source_adress");
    }

    @Test
    void aPoolMemberThatIsNoSourceIsAnError() throws Exception {
        Files.writeString(dir.resolve("sources.toml"), """
                [source."ip-1"]
                source_address = "10.0.0.1"
                [pool."p"."ip-1"]
                [pool."p"."ip-7"]
                """);
        assertThatThrownBy(() -> policies.load(policy("sources.toml")).close())
                .isInstanceOf(PolicyException.class)
                .hasMessageContaining(dir.resolve("sources.toml") + ": [pool.\"p\".\"ip-7\"]: no [source.\"ip-7\"] in any of the sources files");
    }

    @Test
    void aTomlSyntaxErrorNamesTheFile() throws Exception {
        Files.writeString(dir.resolve("sources.toml"), "[source.\"ip-1\"\nsource_address = 1\n");
        assertThatThrownBy(() -> policies.load(policy("sources.toml")).close())
                .isInstanceOf(PolicyException.class)
                .hasMessageContaining(dir.resolve("sources.toml").toString());
    }

    @Test
    void aPolicysOwnModuleOfTheSameNameWinsOverTheBundledOne() throws Exception {
        Files.createDirectories(dir.resolve("policy-extras"));
        Files.writeString(dir.resolve("policy-extras/sources.lua"), "return { setup = function() test.count('mine') end }\n");
        try (Policy policy = policies.load(policy())) {
            assertThat(policies.count("mine")).isEqualTo(2); // once per Lua state
        }
    }

    @Test
    void anUnknownBundledModuleSaysWhereItLooked() throws Exception {
        Path file = TestPolicies.write(dir, "init.lua", "require 'policy-extras.nonesuch'");
        assertThatThrownBy(() -> policies.load(file).close()).isInstanceOf(PolicyException.class)
                .hasMessageContaining("no bundled module policy-extras.nonesuch");
    }

}
