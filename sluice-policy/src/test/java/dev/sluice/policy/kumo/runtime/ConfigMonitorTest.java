package dev.sluice.policy.kumo.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.policy.ConfigEpoch;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyOptions;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigMonitorTest {
    @TempDir
    Path dir;

    @Test
    void theDefaultGlobsWatchThePolicysDirectoryAndAChangeBumpsTheEpoch() throws Exception {
        Path policy = Files.writeString(dir.resolve("init.lua"), "-- policy\n");
        Files.createDirectories(dir.resolve("data/sub"));
        Path toml = Files.writeString(dir.resolve("data/sub/shaping.toml"), "a = 1\n");
        Files.writeString(dir.resolve("notes.txt"), "not configuration\n");
        ConfigEpoch epoch = new ConfigEpoch();
        ConfigMonitor monitor = new ConfigMonitor(epoch, ConfigMonitor.defaultGlobs(policy));

        assertThat(monitor.files()).containsExactly(toml.toString(), policy.toString());
        assertThat(monitor.scan()).isFalse(); // the first scan records the state
        assertThat(monitor.scan()).isFalse();
        Files.writeString(dir.resolve("notes.txt"), "changed, but not watched\n");
        assertThat(monitor.scan()).isFalse();
        assertThat(epoch.current()).isZero();

        Files.writeString(toml, "a = 2\n");
        assertThat(monitor.scan()).isTrue();
        assertThat(epoch.current()).isEqualTo(1);
        assertThat(monitor.scan()).isFalse();
        Files.writeString(dir.resolve("data/new.json"), "{}");
        assertThat(monitor.scan()).isTrue();
        Files.delete(dir.resolve("data/new.json"));
        assertThat(monitor.scan()).isTrue();
        assertThat(epoch.current()).isEqualTo(3);
    }

    @Test
    void aPolicyInTheTemporaryDirectoryIsWatchedAloneNotTheWholeTemporaryTree() {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().normalize();
        assertThat(ConfigMonitor.defaultGlobs(tmp.resolve("sluice-default-policy-1.lua")))
                .containsExactly(tmp.resolve("sluice-default-policy-1.lua").toString());
        assertThat(ConfigMonitor.defaultGlobs(Path.of("/etc/sluice/init.lua")))
                .containsExactly("/etc/sluice/**/*.{lua,json,toml,yaml}");
    }

    @Test
    void theGlobsAreSetAndEvaluatedFromLua() throws Exception {
        Files.writeString(dir.resolve("a.conf"), "");
        Files.writeString(dir.resolve("b.conf"), "");
        Path file = Files.writeString(dir.resolve("policy.lua"), String.join("\n",
                "kumo.on('init', function()",
                "  kumo.set_config_monitor_globs { '" + dir + "/*.conf', '" + dir + "/a.*' }",
                "end)",
                "kumo.on('files', function() return kumo.eval_config_monitor_globs() end)",
                "kumo.on('bad', function() kumo.set_config_monitor_globs { '" + dir + "/[' } end)",
                "kumo.on('wrong', function() kumo.set_config_monitor_globs('/etc/*.lua') end)") + "\n");
        try (Policy policy = Policy.load(new PolicyOptions(file, 1, List.of(), null))) {
            assertThat(policy.call("files")).isEqualTo(List.of(file.toString())); // the default: the policy's directory
            policy.runOnce("init");
            assertThat(policy.call("files")).isEqualTo(List.of(dir.resolve("a.conf").toString(),
                    dir.resolve("b.conf").toString()));
            assertThatThrownBy(() -> policy.call("bad"))
                    .hasMessageStartingWith(file + ":5: kumo.set_config_monitor_globs: invalid glob '" + dir + "/['");
            assertThatThrownBy(() -> policy.call("wrong")).hasMessage(file
                    + ":6: kumo.set_config_monitor_globs: argument #1 must be a list of glob strings, got string");
        }
    }

    @Test
    void aBumpEmptiesEpochMemoizeCachesOnlyAndSetsTheGauge() throws Exception {
        var registry = new PrometheusRegistry();
        Path file = Files.writeString(dir.resolve("policy.lua"), String.join("\n",
                "local calls = { epoch = 0, plain = 0 }",
                "local by_epoch = kumo.memoize(function(k) calls.epoch = calls.epoch + 1; return k end,",
                "  { name = 'e', ttl = '1h', capacity = 10, invalidate_with_epoch = true })",
                "local plain = kumo.memoize(function(k) calls.plain = calls.plain + 1; return k end,",
                "  { name = 'p', ttl = '1h', capacity = 10 })",
                "kumo.on('use', function() by_epoch('x'); plain('x'); return calls end)",
                "kumo.on('bump', function() kumo.bump_config_epoch() end)") + "\n");
        try (Policy policy = Policy.load(new PolicyOptions(file, 1, List.of(), registry))) {
            policy.call("use");
            assertThat(policy.call("use")).isEqualTo(Map.of("epoch", 1L, "plain", 1L));
            policy.call("bump");
            assertThat(policy.call("use")).isEqualTo(Map.of("epoch", 2L, "plain", 1L));
            assertThat(policy.configEpoch().current()).isEqualTo(1);
            assertThat(gauge(registry, "config_epoch")).isEqualTo(1.0);
        }
    }

    @Test
    void theRunningMonitorBumpsWhenAWatchedFileChangesAndStopsWithThePolicy() throws Exception {
        Path data = Files.writeString(dir.resolve("data.toml"), "a = 1\n");
        Path file = Files.writeString(dir.resolve("policy.lua"), "kumo.on('epoch', function() end)\n");
        Policy policy = Policy.load(new PolicyOptions(file, 1, List.of(), null));
        try {
            policy.startBackground(Duration.ofMillis(20));
            Await.until("the monitor runs", () -> Thread.getAllStackTraces().keySet().stream()
                    .anyMatch(t -> t.getName().equals("sluice-config-monitor")));
            // a change made before the monitor's first scan is its starting state: keep changing until one is seen
            var version = new java.util.concurrent.atomic.AtomicInteger(1);
            Await.until("the epoch moves", () -> {
                try {
                    Files.writeString(data, "a = " + version.incrementAndGet() + "\n");
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                return policy.configEpoch().current() >= 1;
            });
        } finally {
            policy.close();
        }
        assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
                .doesNotContain("sluice-config-monitor");
    }

    private static double gauge(PrometheusRegistry registry, String name) {
        return registry.scrape().stream().filter(s -> s.getMetadata().getName().equals(name))
                .map(s -> ((GaugeSnapshot) s).getDataPoints().getFirst().getValue()).findFirst().orElseThrow();
    }
}
