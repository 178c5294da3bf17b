package dev.sluice.mta.log;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.ConfigSchema;
import dev.sluice.policy.ConfigTable;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * {@code kumo.configure_log_hook{...}}: every log record (of the types not disabled) becomes a message offered to
 * {@code should_enqueue_log_record(msg, name)}; see {@code dev.sluice.mta.loghook.LogHook}.
 *
 * @param name         passed to {@code should_enqueue_log_record} as the hook name
 * @param backPressure records that may wait for the hook before producers block
 * @param meta         which meta keys the hooked record carries
 * @param headers      which header fields the hooked record carries (names compared without case)
 * @param disabled     record types not hooked ({@code per_record = {Type = {enable = false}}})
 */
public record LogHookConfig(String name, int backPressure, NameFilter meta, NameFilter headers,
                            Set<RecordType> disabled) {

    static final ConfigSchema SCHEMA = ConfigSchema.of("configure_log_hook",
            Set.of("name", "back_pressure", "meta", "headers", "per_record"), Set.of("deferred_spool"));
    static final ConfigSchema PER_RECORD_SCHEMA = ConfigSchema.of("configure_log_hook.per_record",
            Set.of("enable"), Set.of("template"));

    public LogHookConfig {
        if (name == null || name.isBlank()) {
            throw new ConfigException("configure_log_hook: key 'name' is required");
        }
        if (backPressure <= 0) {
            throw new ConfigException("configure_log_hook: back_pressure must be positive, got " + backPressure);
        }
        disabled = disabled.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(disabled));
    }

    public boolean hooks(RecordType type) {
        return !disabled.contains(type);
    }

    /** Validates the Lua table; errors name the key. */
    public static LogHookConfig parse(Object luaTable) {
        ConfigTable t = ConfigTable.of(SCHEMA, luaTable);
        return new LogHookConfig(t.requireString("name"),
                (int) Math.min(Integer.MAX_VALUE, LogConfig.positiveLong(t, "back_pressure", LogConfig.DEFAULT_BACK_PRESSURE)),
                new NameFilter(t.stringList("meta", List.of()), false),
                new NameFilter(t.stringList("headers", List.of()), true),
                LogConfig.disabledTypes(t, PER_RECORD_SCHEMA));
    }
}
