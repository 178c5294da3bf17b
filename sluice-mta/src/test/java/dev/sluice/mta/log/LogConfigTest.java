package dev.sluice.mta.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.policy.IgnoredKeys;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.PolicyOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kumo.configure_local_logs} as a policy calls it in {@code init}. */
class LogConfigTest {
    @TempDir
    Path dir;

    private List<LogConfig> runInit(String body) throws Exception {
        Path file = dir.resolve("policy.lua");
        Files.writeString(file, "kumo.on('init', function()\n" + body + "\nend)\n");
        var module = new LogsPolicyModule();
        try (Policy p = Policy.load(new PolicyOptions(file, 1, List.of(module), null))) {
            p.runOnce("init");
        }
        return module.configs();
    }

    @Test
    void defaultsAreKumoMtas() throws Exception {
        LogConfig c = runInit("kumo.configure_local_logs { log_dir = '/var/log/sluice' }").getFirst();
        assertThat(c.logDir()).isEqualTo(Path.of("/var/log/sluice"));
        assertThat(c.maxFileSize()).isEqualTo(1_000_000_000L);
        assertThat(c.maxSegmentDuration()).isEmpty();
        assertThat(c.compressionLevel()).isEqualTo(3);
        assertThat(c.backPressure()).isEqualTo(128_000);
        assertThat(c.meta().isEmpty()).isTrue();
        assertThat(c.headers().isEmpty()).isTrue();
        assertThat(c.disabled()).isEmpty();
    }

    @Test
    void everyOptionIsRead() throws Exception {
        LogConfig c = runInit("""
                kumo.configure_local_logs {
                  log_dir = '/tmp/l', max_file_size = 10000000000, max_segment_duration = '5 minutes',
                  compression_level = 9, back_pressure = 10, meta = { 'tenant', 'x_*' },
                  headers = { 'Subject', 'X-*' },
                  per_record = { Reception = { enable = false }, Delivery = { enable = true, suffix = '_d' } },
                  min_free_space = '10%', min_free_inodes = '10%', filter_event = 'f',
                }""").getFirst();
        assertThat(c.maxFileSize()).isEqualTo(10_000_000_000L);
        assertThat(c.maxSegmentDuration()).contains(Duration.ofMinutes(5));
        assertThat(c.compressionLevel()).isEqualTo(9);
        assertThat(c.backPressure()).isEqualTo(10);
        assertThat(c.meta().matches("x_anything")).isTrue();
        assertThat(c.meta().matches("tenant")).isTrue();
        assertThat(c.meta().matches("Tenant")).isFalse();
        assertThat(c.headers().matches("subject")).isTrue();
        assertThat(c.headers().matches("x-mailer")).isTrue();
        assertThat(c.headers().matches("From")).isFalse();
        assertThat(c.disabled()).isEqualTo(Set.of(RecordType.Reception));
        assertThat(IgnoredKeys.list()).extracting(Object::toString)
                .contains("configure_local_logs.min_free_space", "configure_local_logs.filter_event",
                        "configure_local_logs.per_record.suffix");
    }

    @Test
    void mistakesNameTheKeyAtThePolicysLine() {
        assertThatThrownBy(() -> runInit("kumo.configure_local_logs { max_file_size = 10 }"))
                .isInstanceOf(PolicyException.class).hasMessageContaining("policy.lua:2")
                .hasMessageContaining("missing required key 'log_dir'");
        assertThatThrownBy(() -> runInit("kumo.configure_local_logs { log_dir = '/x', max_size = 10 }"))
                .hasMessageContaining("unknown key 'max_size'");
        assertThatThrownBy(() -> runInit("kumo.configure_local_logs { log_dir = '/x', max_segment_duration = 'soon' }"))
                .hasMessageContaining("max_segment_duration");
        assertThatThrownBy(() -> runInit("kumo.configure_local_logs { log_dir = '/x', per_record = { Recption = {} } }"))
                .hasMessageContaining("unknown record type 'Recption'");
        assertThatThrownBy(() -> runInit("kumo.configure_local_logs { log_dir = '/x', max_file_size = -1 }"))
                .hasMessageContaining("max_file_size").hasMessageContaining("positive");
    }

    @Test
    void eachCallIsOneLogger() throws Exception {
        assertThat(runInit("kumo.configure_local_logs { log_dir = '/a' }\nkumo.configure_local_logs { log_dir = '/b' }"))
                .extracting(LogConfig::logDir).containsExactly(Path.of("/a"), Path.of("/b"));
    }
}
