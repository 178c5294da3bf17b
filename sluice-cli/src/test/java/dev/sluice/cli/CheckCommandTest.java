package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testkit.SluiceProcess;
import dev.sluice.testkit.Tool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/sluice check}: an operator's look at a policy before running it. The first and the last test run the
 * real launcher; the others run the same command line in this JVM ({@link SluiceCommand#inProcess}).
 */
class CheckCommandTest {

    @TempDir
    Path dir;

    /** The seed blocks, byte for byte as the seed documents give them. */
    private static Path seed(String name) {
        return SluiceProcess.home().resolve("sluice-policy/src/test/resources/seeds").resolve(name);
    }

    @Test
    void listsTheSeedsSourcesWithProtocolProxyAndAddresses() throws IOException {
        Path policy = dir.resolve("policy.lua");
        Files.writeString(policy, """
                dofile('%s')
                local socks = dofile('%s')
                kumo.on('get_egress_pool', function(name)
                  return kumo.make_egress_pool { name = name, entries = { { name = 'ip-1', weight = 5 } } }
                end)
                kumo.on('get_queue_config', function(domain)
                  return kumo.make_queue_config { egress_pool = 'pool-1', retry_interval = '5m' }
                end)
                """.formatted(seed("seed000_init.lua"), seed("seed001_socks5.lua")));
        var r = SluiceCommand.run("check", "--policy", policy.toString(), "--domain", "example.com");
        assertThat(r.exitCode()).as(r.describe()).isZero();
        // seed 000's init defines ip-1 through HAProxy; seed 001's event (registered later) wins for the same name
        assertThat(r.stdout())
                .containsPattern("ip-1\\s+haproxy\\s+10\\.0\\.5\\.10:5000\\s+local 10\\.0\\.5\\.1, egress 10\\.0\\.0\\.1\\s+"
                        + "mta1\\.examplecorp\\.com")
                .containsPattern("pool-1\\s+ip-1:5");
    }

    @Test
    void eventSourceShowsSocks5WithItsBindAddress() throws IOException {
        Path policy = dir.resolve("socks.lua");
        Files.writeString(policy, "dofile('%s')\n".formatted(seed("seed001_socks5.lua")));
        var r = SluiceCommand.inProcess("check", "--policy", policy.toString(), "--source", "ip-1");
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stdout()).containsPattern(
                "ip-1\\s+socks5\\s+10\\.0\\.5\\.10:5000\\s+local \\(kernel\\), egress 10\\.0\\.0\\.1\\s+mta1\\.examplecorp\\.com");
    }

    @Test
    void aPolicyUsingTheShapingHelperIsCheckedWithItsShapingFile() throws IOException {
        Path policy = dir.resolve("shaping.lua");
        Path shaping = dir.resolve("shaping.toml");
        Files.writeString(policy, """
                local shaping = require 'policy-extras.shaping'
                kumo.on('get_egress_path_config', shaping:setup { '%s' })
                """.formatted(shaping));
        Files.writeString(shaping, "[\"example.com\"]\nmx_rollup = false\nconnection_limit = 3\n");
        var ok = SluiceCommand.inProcess("check", "--policy", policy.toString());
        assertThat(ok.exitCode()).as(ok.describe()).isZero();

        Files.writeString(shaping, "[provider.\"x\"]\nmatch = [{MXSuffix = \".x.test\"}]\nprovider_connection_limit = 0\n");
        var bad = SluiceCommand.inProcess("check", "--policy", policy.toString());
        assertThat(bad.exitCode()).as(bad.describe()).isEqualTo(2);
        assertThat(bad.stderr()).contains(shaping + ": [provider.\"x\"]: provider_connection_limit: invalid limit 0");
    }

    @Test
    void automationOptionsSluiceDoesNotImplementAreRefusedWithTheirLineOrBlock() throws IOException {
        Path policy = dir.resolve("tsa.lua");
        Path shaping = dir.resolve("shaping.toml");
        Files.writeString(shaping, "[\"example.com\"]\nmx_rollup = false\n");
        Files.writeString(policy, """
                local shaping = require 'policy-extras.shaping'
                -- the publisher's queue
                local shaper = shaping:setup_with_automation { subscribe = { 'http://127.0.0.1:8008' }, extra_files = { '%s' }, tsa_queue_config = { strategy = 'SingletonTimerWheel' } }
                kumo.on('get_egress_path_config', shaper.get_egress_path_config)
                """.formatted(shaping));
        var queueKey = SluiceCommand.inProcess("check", "--policy", policy.toString());
        assertThat(queueKey.exitCode()).as(queueKey.describe()).isEqualTo(2);
        assertThat(queueKey.stderr()).contains(policy + ":3: ")
                .contains("tsa_queue_config: 'strategy' is not implemented by Sluice (its queues would ignore it)");

        Files.writeString(policy, Files.readString(policy).replace(", tsa_queue_config = { strategy = 'SingletonTimerWheel' }", ""));
        Files.writeString(shaping, """
                ["example.com"]
                mx_rollup = false

                [["example.com".automation]]
                regex = "421 4.7.0"
                action = {SetConfig = {name = "source_selection_rate", value = "10/s"}}
                duration = "1h"
                """);
        var ignored = SluiceCommand.inProcess("check", "--policy", policy.toString());
        assertThat(ignored.exitCode()).as(ignored.describe()).isEqualTo(2);
        assertThat(ignored.stderr()).contains(shaping + ": [[\"example.com\".automation]] #1: action SetConfig: "
                + "'source_selection_rate' is a path option Sluice accepts but does not act on");
    }

    @Test
    void aDomainsPathConfigIsPrintedWithTheFileAndBlockOfEachValue() throws IOException {
        Path policy = dir.resolve("shaping.lua");
        Path base = dir.resolve("base.toml");
        Path override = dir.resolve("override.toml");
        Files.writeString(policy, """
                local shaping = require 'policy-extras.shaping'
                kumo.on('get_egress_path_config', shaping:setup { '%s', '%s' })
                """.formatted(base, override));
        Files.writeString(base, """
                ["example.com"]
                mx_rollup = false
                connection_limit = 5
                max_message_rate = "5/s"
                """);
        Files.writeString(override, """
                ["example.com"]
                mx_rollup = false
                connection_limit = 3

                ["example.com".sources."unspecified"]
                max_deliveries_per_connection = 7
                """);
        var r = SluiceCommand.inProcess("check", "--policy", policy.toString(), "--domain", "example.com");
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stdout())
                .contains("Egress path unspecified -> example.com for example.com (shaping files: "
                        + "/opt/kumomta/share/policy-extras/shaping.toml, " + base + ", " + override + "):")
                .containsPattern("connection_limit\\s+3\\s+" + java.util.regex.Pattern.quote(override + ": [\"example.com\"]"))
                .containsPattern("max_message_rate\\s+5/s\\s+" + java.util.regex.Pattern.quote(base + ": [\"example.com\"]"))
                .containsPattern("max_deliveries_per_connection\\s+7\\s+"
                        + java.util.regex.Pattern.quote(override + ": [\"example.com\".sources.\"unspecified\"]"))
                // what no domain block sets comes from the default file's ["default"] block
                .containsPattern("enable_tls\\s+Opportunistic\\s+" + java.util.regex.Pattern.quote(
                        "/opt/kumomta/share/policy-extras/shaping.toml: [\"default\"]"));
    }

    @Test
    void aShapingSourceTheSourcesHelperDoesNotDefineFailsTheCheck() throws IOException {
        Path policy = dir.resolve("shaping.lua");
        Path sources = dir.resolve("sources.toml");
        Path shaping = dir.resolve("shaping.toml");
        Files.writeString(policy, """
                local sources = require 'policy-extras.sources'
                local shaping = require 'policy-extras.shaping'
                sources:setup { '%s' }
                kumo.on('get_egress_path_config', shaping:setup { '%s' })
                """.formatted(sources, shaping));
        Files.writeString(sources, "[source.\"ip-1\"]\nsource_address = \"127.0.0.1\"\n");
        Files.writeString(shaping, "[\"example.com\"]\nmx_rollup = false\n[\"example.com\".sources.\"ip-1\"]\nconnection_limit = 2\n");
        var ok = SluiceCommand.inProcess("check", "--policy", policy.toString());
        assertThat(ok.exitCode()).as(ok.describe()).isZero();

        Files.writeString(shaping, "[\"example.com\"]\nmx_rollup = false\n[\"example.com\".sources.\"ip-9\"]\nconnection_limit = 2\n");
        var bad = SluiceCommand.inProcess("check", "--policy", policy.toString());
        assertThat(bad.exitCode()).as(bad.describe()).isEqualTo(2);
        assertThat(bad.stderr()).contains("source 'ip-9' is named by domain:example.com but not defined in " + sources)
                .contains("kumo.validation_failed()");
    }

    @Test
    void halfConfiguredProxyIsAProblemWithFileAndLine() throws IOException {
        Path policy = dir.resolve("bad.lua");
        Files.writeString(policy, """
                kumo.on('get_egress_source', function(name)
                  return kumo.make_egress_source {
                    name = name,
                    socks5_proxy_source_address = '10.0.0.1',
                  }
                end)
                """);
        var r = SluiceCommand.inProcess("check", "--policy", policy.toString(), "--source", "ip-1");
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(2);
        assertThat(r.stderr()).contains(policy + ":2: make_egress_source:").contains("socks5_proxy_source_address");
    }

    @Test
    void keysAcceptedButNotActedOnAreFindingsWithFileAndLine() throws IOException {
        Path policy = dir.resolve("ignored.lua");
        Files.writeString(policy, """
                kumo.on('get_queue_config', function(domain)
                  return kumo.make_queue_config { provider_name = 'example', retry_interval = '10m' }
                end)
                """);
        var r = SluiceCommand.inProcess("check", "--policy", policy.toString(), "--domain", "example.com");
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
        assertThat(r.stdout()).containsPattern("unspecified\\s+direct")
                .contains("1 thing(s) the policy asks for that Sluice does not do, listed on stderr.");
        assertThat(r.stderr()).contains(policy + ":2: key 'provider_name' of make_queue_config is accepted for "
                + "KumoMTA compatibility but not acted on by Sluice").doesNotContain("retry_interval' of");
    }

    /**
     * The module search path: the policy's directory, then LUA_PATH with Lua's own semantics (";;" is the default
     * path, which holds "./?.lua"), then the bundled modules.
     */
    @Test
    void modulesAreFoundInThePolicysDirectoryThenLuaPathWithItsDefault() throws IOException {
        Path policyDir = Files.createDirectories(dir.resolve("policy"));
        Path lib = Files.createDirectories(dir.resolve("lib"));
        Path cwd = Files.createDirectories(dir.resolve("cwd"));
        Files.writeString(policyDir.resolve("both.lua"), "return 'policy dir'\n");
        Files.writeString(lib.resolve("both.lua"), "return 'LUA_PATH'\n");
        Files.writeString(lib.resolve("helper.lua"), "return 'LUA_PATH'\n");
        Files.writeString(cwd.resolve("default.lua"), "return 'default path'\n");
        Path policy = policyDir.resolve("init.lua");
        Files.writeString(policy, """
                local kumo = require 'kumo'
                local found = { require 'both', require 'helper', (require 'default') }
                kumo.on('validate_config', function()
                  if table.concat(found, ', ') ~= 'policy dir, LUA_PATH, default path' then
                    print('found: ' .. table.concat(found, ', '))
                    kumo.validation_failed()
                  end
                end)
                """);
        var r = Tool.run(null, List.of("sh", "-c", "cd \"$1\" && exec \"$2\" check --policy \"$3\"", "sh",
                        cwd.toString(), SluiceProcess.home().resolve("bin/sluice").toString(), policy.toString()),
                Map.of("SLUICE_NO_BUILD", "1", "LUA_PATH", lib + "/?.lua;;"), Duration.ofMinutes(1));
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stdout()).contains("Everything the policy asks for is done.");
    }
}
