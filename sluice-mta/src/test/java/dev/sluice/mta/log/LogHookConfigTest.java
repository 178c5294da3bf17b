package dev.sluice.mta.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.PolicyOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kumo.configure_log_hook} as a policy calls it: at the top level (every Lua state) or in init. */
class LogHookConfigTest {
    @TempDir
    Path dir;

    private List<LogHookConfig> load(String lua) throws Exception {
        Path file = dir.resolve("policy.lua");
        Files.writeString(file, lua + "\n");
        var module = new LogsPolicyModule();
        try (Policy p = Policy.load(new PolicyOptions(file, 2, List.of(module), null))) {
            if (p.hasHandler("init")) {
                p.runOnce("init");
            }
        }
        return module.hooks();
    }

    @Test
    void theSameHookFromEveryLuaStateIsOneHook() throws Exception {
        List<LogHookConfig> hooks = load("kumo.configure_log_hook { name = 'webhook', headers = { 'Subject' },"
                + " meta = { 'tenant' }, per_record = { Reception = { enable = false }, Delivery = { template = 'x' } } }");
        assertThat(hooks).singleElement().satisfies(h -> {
            assertThat(h.name()).isEqualTo("webhook");
            assertThat(h.headers().patterns()).containsExactly("Subject");
            assertThat(h.meta().patterns()).containsExactly("tenant");
            assertThat(h.disabled()).isEqualTo(Set.of(RecordType.Reception));
            assertThat(h.hooks(RecordType.Delivery)).isTrue();
            assertThat(h.backPressure()).isEqualTo(LogConfig.DEFAULT_BACK_PRESSURE);
        });
    }

    @Test
    void badHooksAreErrorsAtTheCallersLine() {
        assertThatThrownBy(() -> load("kumo.on('init', function()\n  kumo.configure_log_hook { headers = {} }\nend)"))
                .isInstanceOf(PolicyException.class).hasMessageContaining("policy.lua:2: configure_log_hook: ")
                .hasMessageContaining("name");
        assertThatThrownBy(() -> load("kumo.configure_log_hook { name = 'a', per_record = { Delivered = { enable = false } } }"))
                .hasMessageContaining("policy.lua:1: configure_log_hook: per_record: unknown record type 'Delivered'");
        assertThatThrownBy(() -> load("kumo.on('init', function()\n  kumo.configure_log_hook { name = 'a' }\n"
                + "  kumo.configure_log_hook { name = 'a', headers = { 'Subject' } }\nend)"))
                .hasMessageContaining("policy.lua:3: configure_log_hook: a hook named 'a' is already configured");
    }

    @Test
    void aDispositionHookTakesANameAndPerRecordAndSharesNamesWithLogHooks() throws Exception {
        Path file = dir.resolve("policy.lua");
        Files.writeString(file, """
                kumo.configure_log_disposition_hook { name = 'ndr', per_record = { Reception = { enable = false } } }
                kumo.on('init', function()
                  kumo.configure_log_hook { name = 'ndr' }
                end)
                """);
        var module = new LogsPolicyModule();
        try (Policy p = Policy.load(new PolicyOptions(file, 2, List.of(module), null))) {
            assertThat(module.dispositionHooks()).singleElement().satisfies(h -> {
                assertThat(h.event()).isEqualTo("log_disposition_ndr");
                assertThat(h.hooks(RecordType.Reception)).isFalse();
                assertThat(h.hooks(RecordType.Bounce)).isTrue();
            });
            assertThatThrownBy(() -> p.runOnce("init"))
                    .hasMessageContaining("policy.lua:3: configure_log_hook: a hook named 'ndr' is already configured");
        }
        assertThatThrownBy(() -> load("kumo.configure_log_disposition_hook { name = 'a', back_pressure = 10 }"))
                .hasMessageContaining("policy.lua:1: configure_log_disposition_hook: ").hasMessageContaining("back_pressure");
        assertThatThrownBy(() -> load("kumo.configure_log_disposition_hook { per_record = {} }"))
                .hasMessageContaining("policy.lua:1: configure_log_disposition_hook: missing required key 'name'");
    }
}
