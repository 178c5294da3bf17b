package dev.sluice.mta.log;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.ConfigSchema;
import dev.sluice.policy.ConfigTable;
import java.util.EnumSet;
import java.util.Set;

/**
 * {@code kumo.configure_log_disposition_hook{name, per_record?}}: every log record about a message (of the types
 * not disabled) fires {@code log_disposition_<name>(msg, record)}; nothing is queued or spooled. See
 * {@code dev.sluice.mta.loghook.LogDispositionHook}.
 *
 * @param name     the hook's name; names are shared with {@code configure_log_hook}, as in KumoMTA
 * @param disabled record types not passed to the event ({@code per_record = {Type = {enable = false}}})
 */
public record LogDispositionHookConfig(String name, Set<RecordType> disabled) {
    /** The prefix of the event each hook fires; the hook's name follows it. */
    public static final String EVENT_PREFIX = "log_disposition_";

    static final ConfigSchema SCHEMA = ConfigSchema.of("configure_log_disposition_hook",
            Set.of("name", "per_record"), Set.of());
    // KumoMTA takes the whole per-record table of its log files here but acts only on 'enable'
    static final ConfigSchema PER_RECORD_SCHEMA = ConfigSchema.of("configure_log_disposition_hook.per_record",
            Set.of("enable"), Set.of("suffix", "log_dir", "template", "segment_header"));

    public LogDispositionHookConfig {
        if (name == null || name.isBlank()) {
            throw new ConfigException("configure_log_disposition_hook: key 'name' is required");
        }
        disabled = disabled.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(disabled));
    }

    /** The event this hook fires for each record. */
    public String event() {
        return EVENT_PREFIX + name;
    }

    public boolean hooks(RecordType type) {
        return !disabled.contains(type);
    }

    /** Validates the Lua table; errors name the key. */
    public static LogDispositionHookConfig parse(Object luaTable) {
        ConfigTable t = ConfigTable.of(SCHEMA, luaTable);
        return new LogDispositionHookConfig(t.requireString("name"), LogConfig.disabledTypes(t, PER_RECORD_SCHEMA));
    }
}
