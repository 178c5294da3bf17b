package dev.sluice.policy;

import dev.sluice.net.CidrSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Typed, validated reading of a table passed from Lua ({@code Map<String,Object>} as converted by the
 * runtime). Construction rejects keys unknown to KumoMTA by name, and records keys that KumoMTA has but
 * Sluice ignores ({@link IgnoredKeys}). Getters name the key and the expected type on a mismatch.
 */
public final class ConfigTable {
    private final String name;
    private final Map<String, Object> values;

    private ConfigTable(String name, Map<String, Object> values) {
        this.name = name;
        this.values = values;
    }

    /** Validates {@code luaValue} (a table; nil counts as empty) against {@code schema}. */
    public static ConfigTable of(ConfigSchema schema, Object luaValue) {
        return of(schema, schema.table(), luaValue);
    }

    private static ConfigTable of(ConfigSchema schema, String name, Object luaValue) {
        Map<String, Object> values = asMap(name, luaValue);
        for (String key : values.keySet()) {
            if (!schema.knows(key)) {
                throw new ConfigException(name + ": unknown key '" + key + "'");
            }
        }
        for (String key : values.keySet()) {
            if (schema.ignored().contains(key)) {
                IgnoredKeys.record(name, key);
            }
        }
        return new ConfigTable(name, values);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(String name, Object value) {
        return switch (value) {
            case null -> Map.of();
            case Map<?, ?> m -> (Map<String, Object>) m;
            case List<?> l -> throw new ConfigException(name + ": expected a table of key = value, got a list");
            default -> throw new ConfigException(name + ": expected a table, got " + LuaTypes.name(value));
        };
    }

    /** The table's name as used in messages. */
    public String name() {
        return name;
    }

    public boolean has(String key) {
        return values.get(key) != null;
    }

    public String string(String key, String fallback) {
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof String s) {
            return s;
        }
        throw typeError(key, "a string", v);
    }

    public String requireString(String key) {
        return require(key, string(key, null));
    }

    public boolean bool(String key, boolean fallback) {
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw typeError(key, "a boolean", v);
    }

    public int integer(String key, int fallback) {
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        long l;
        if (v instanceof Long x) {
            l = x;
        } else if (v instanceof Double d && d == Math.rint(d) && !d.isInfinite()) {
            l = d.longValue();
        } else {
            throw typeError(key, "an integer", v);
        }
        if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
            throw new ConfigException(name + ": key '" + key + "' is out of range: " + l);
        }
        return (int) l;
    }

    public Duration duration(String key, Duration fallback) {
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        try {
            return Durations.parse(v);
        } catch (ConfigException e) {
            throw new ConfigException(name + ": key '" + key + "': " + e.getMessage());
        }
    }

    public List<String> stringList(String key, List<String> fallback) {
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof Map<?, ?> m && m.isEmpty()) {
            return List.of(); // Lua cannot tell an empty list from an empty table
        }
        if (!(v instanceof List<?> list)) {
            throw typeError(key, "a list of strings", v);
        }
        List<String> out = new ArrayList<>(list.size());
        for (Object item : list) {
            if (!(item instanceof String s)) {
                throw typeError(key, "a list of strings", v);
            }
            out.add(s);
        }
        return List.copyOf(out);
    }

    /** A list of CIDRs (or single addresses); an empty set when absent. */
    public CidrSet cidrs(String key) {
        try {
            return CidrSet.parse(stringList(key, List.of()));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(name + ": key '" + key + "': " + e.getMessage());
        }
    }

    public Optional<KeySource> keySource(String key) {
        Object v = values.get(key);
        if (v == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(KeySource.from(v));
        } catch (ConfigException e) {
            throw new ConfigException(name + ": key '" + key + "': " + e.getMessage());
        }
    }

    /** A nested table, validated against {@code schema}; absent means an empty table (defaults apply). */
    public ConfigTable table(String key, ConfigSchema schema) {
        return of(schema, name + "." + key, values.get(key));
    }

    /** The raw value, for shapes the typed getters do not cover. */
    public Object raw(String key) {
        return values.get(key);
    }

    private String require(String key, String value) {
        if (value == null) {
            throw new ConfigException(name + ": missing required key '" + key + "'");
        }
        return value;
    }

    private ConfigException typeError(String key, String expected, Object actual) {
        return new ConfigException(name + ": key '" + key + "' must be " + expected + ", got "
                + LuaTypes.name(actual));
    }
}
