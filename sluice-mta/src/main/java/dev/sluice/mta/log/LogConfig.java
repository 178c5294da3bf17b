package dev.sluice.mta.log;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.ConfigSchema;
import dev.sluice.policy.ConfigTable;
import dev.sluice.policy.IgnoredKeys;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code kumo.configure_local_logs{...}}: where and how the JSON log is written.
 *
 * @param logDir             where the segments go (created if missing)
 * @param maxFileSize        uncompressed bytes after which a segment is closed
 * @param maxSegmentDuration age after which a segment is closed, empty for no limit
 * @param compressionLevel   zstd level (KumoMTA's 0 means zstd's default, 3)
 * @param backPressure       records that may wait for the writer before producers block
 * @param meta               which meta keys a record carries
 * @param headers            which header fields a record carries (names compared without case)
 * @param disabled           record types not logged ({@code per_record = {Type = {enable = false}}})
 */
public record LogConfig(Path logDir, long maxFileSize, Optional<Duration> maxSegmentDuration, int compressionLevel,
                        int backPressure, NameFilter meta, NameFilter headers, Set<RecordType> disabled) {

    public static final long DEFAULT_MAX_FILE_SIZE = 1_000_000_000L;
    public static final int DEFAULT_BACK_PRESSURE = 128_000;
    public static final int ZSTD_DEFAULT_LEVEL = 3;

    static final ConfigSchema SCHEMA = ConfigSchema.of("configure_local_logs",
            Set.of("log_dir", "max_file_size", "max_segment_duration", "compression_level", "back_pressure", "meta",
                    "headers", "per_record"),
            Set.of("filter_event", "min_free_space", "min_free_inodes"));

    /** The entries of {@code per_record}: only {@code enable} is acted on. */
    static final ConfigSchema PER_RECORD_SCHEMA = ConfigSchema.of("configure_local_logs.per_record",
            Set.of("enable"), Set.of("suffix", "log_dir", "segment_header", "template"));

    public LogConfig {
        if (maxFileSize <= 0) {
            throw new ConfigException("configure_local_logs: max_file_size must be positive, got " + maxFileSize);
        }
        if (backPressure <= 0) {
            throw new ConfigException("configure_local_logs: back_pressure must be positive, got " + backPressure);
        }
        disabled = disabled.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(disabled));
    }

    /** Defaults for everything but the directory. */
    public static LogConfig of(Path logDir) {
        return new LogConfig(logDir, DEFAULT_MAX_FILE_SIZE, Optional.empty(), ZSTD_DEFAULT_LEVEL,
                DEFAULT_BACK_PRESSURE, NameFilter.none(), new NameFilter(List.of(), true), Set.of());
    }

    public boolean logs(RecordType type) {
        return !disabled.contains(type);
    }

    /** Validates the Lua table; errors name the key. */
    public static LogConfig parse(Object luaTable) {
        ConfigTable t = ConfigTable.of(SCHEMA, luaTable);
        Path dir = Path.of(t.requireString("log_dir"));
        long maxFileSize = positiveLong(t, "max_file_size", DEFAULT_MAX_FILE_SIZE);
        Optional<Duration> maxAge = t.has("max_segment_duration")
                ? Optional.of(t.duration("max_segment_duration", null)) : Optional.empty();
        if (maxAge.isPresent() && maxAge.get().isZero()) {
            throw new ConfigException("configure_local_logs: max_segment_duration must be more than 0");
        }
        int level = t.integer("compression_level", 0);
        int backPressure = (int) Math.min(Integer.MAX_VALUE, positiveLong(t, "back_pressure", DEFAULT_BACK_PRESSURE));
        var meta = new NameFilter(t.stringList("meta", List.of()), false);
        var headers = new NameFilter(t.stringList("headers", List.of()), true);
        return new LogConfig(dir, maxFileSize, maxAge, level == 0 ? ZSTD_DEFAULT_LEVEL : level, backPressure,
                meta, headers, disabledTypes(t));
    }

    private static Set<RecordType> disabledTypes(ConfigTable t) {
        return disabledTypes(t, PER_RECORD_SCHEMA);
    }

    /** The types {@code per_record} disables ({@code Type = {enable = false}}, {@code Any} for all). */
    static Set<RecordType> disabledTypes(ConfigTable t, ConfigSchema perRecord) {
        Object raw = t.raw("per_record");
        if (raw == null) {
            return Set.of();
        }
        if (!(raw instanceof Map<?, ?> map)) {
            throw new ConfigException(t.name() + ": key 'per_record' must be a table of RecordType = {...}");
        }
        Set<RecordType> disabled = EnumSet.noneOf(RecordType.class);
        for (var e : map.entrySet()) {
            String name = String.valueOf(e.getKey());
            ConfigTable entry = ConfigTable.of(perRecord, e.getValue());
            if (!entry.bool("enable", true)) {
                if (name.equals("Any")) {
                    disabled.addAll(EnumSet.allOf(RecordType.class));
                } else {
                    disabled.add(recordType(t.name(), name));
                }
            } else if (!name.equals("Any")) {
                recordType(t.name(), name); // still validate the name
            }
        }
        return disabled;
    }

    private static RecordType recordType(String table, String name) {
        try {
            return RecordType.valueOf(name);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(table + ": per_record: unknown record type '" + name
                    + "' (expected one of " + List.of(RecordType.values()) + " or Any)");
        }
    }

    static long positiveLong(ConfigTable t, String key, long fallback) {
        Object v = t.raw(key);
        if (v == null) {
            return fallback;
        }
        long l;
        if (v instanceof Long x) {
            l = x;
        } else if (v instanceof Double d && d == Math.rint(d) && !d.isInfinite() && Math.abs(d) < 9e18) {
            l = d.longValue();
        } else {
            throw new ConfigException(t.name() + ": key '" + key + "' must be an integer, got " + v);
        }
        if (l <= 0) {
            throw new ConfigException(t.name() + ": key '" + key + "' must be positive, got " + l);
        }
        return l;
    }

    /** Keys accepted for compatibility but not acted on (also listed by {@link IgnoredKeys}). */
    public static Set<String> ignoredKeys() {
        return SCHEMA.ignored();
    }
}
