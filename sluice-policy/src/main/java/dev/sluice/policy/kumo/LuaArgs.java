package dev.sluice.policy.kumo;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.LuaBytes;
import dev.sluice.policy.LuaTypes;
import java.util.List;
import java.util.Map;

/** Argument checks for kumo functions, with errors naming the function and the argument. */
public final class LuaArgs {
    private LuaArgs() {}

    public static Object get(List<Object> args, int i) {
        return i < args.size() ? args.get(i) : null;
    }

    /** Argument {@code i} (0-based) as a string; a Lua number is accepted as Lua would convert it. */
    public static String string(List<Object> args, int i, String function) {
        Object v = get(args, i);
        return switch (v) {
            case String s -> s;
            case LuaBytes b -> b.lossyText();
            case Long l -> l.toString();
            case Double d -> d.toString();
            case null, default -> throw bad(function, i, "a string", v);
        };
    }

    /** Argument {@code i} as the exact bytes of a Lua string (numbers converted as Lua would). */
    public static byte[] bytes(List<Object> args, int i, String function) {
        Object v = get(args, i);
        return v instanceof LuaBytes b ? b.bytes() : string(args, i, function).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Bytes as a Lua string: a String when they are UTF-8 without NUL, else exact {@link LuaBytes}. */
    public static Object luaString(byte[] bytes) {
        try {
            String s = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                    .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            return s.indexOf('\0') < 0 ? s : new LuaBytes(bytes);
        } catch (java.nio.charset.CharacterCodingException e) {
            return new LuaBytes(bytes);
        }
    }

    public static String optString(List<Object> args, int i, String function) {
        return get(args, i) == null ? null : string(args, i, function);
    }

    public static long integer(List<Object> args, int i, String function) {
        Object v = get(args, i);
        if (v instanceof Long l) {
            return l;
        }
        if (v instanceof Double d && d == Math.rint(d) && !d.isInfinite()) {
            return d.longValue();
        }
        throw bad(function, i, "an integer", v);
    }

    /** Argument {@code i} as a non-negative number of seconds (integer or fractional), in nanoseconds (capped). */
    public static long secondsAsNanos(List<Object> args, int i, String function) {
        Object v = get(args, i);
        double seconds = switch (v) {
            case Long l -> l;
            case Double d when Double.isFinite(d) -> d;
            case null, default -> throw bad(function, i, "a number of seconds", v);
        };
        if (seconds < 0) {
            throw new ConfigException(function + ": seconds must not be negative, got " + v);
        }
        return java.math.BigDecimal.valueOf(seconds).movePointRight(9)
                .min(java.math.BigDecimal.valueOf(Long.MAX_VALUE)).longValue();
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> table(List<Object> args, int i, String function) {
        Object v = get(args, i);
        if (v instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        if (v instanceof List<?> l) { // {1, 2} reaches Java as a list; as a table its keys are "1", "2"
            Map<String, Object> map = new java.util.LinkedHashMap<>();
            for (int k = 0; k < l.size(); k++) {
                map.put(Long.toString(k + 1), l.get(k));
            }
            return map;
        }
        throw bad(function, i, "a table", v);
    }

    public static ConfigException bad(String function, int i, String expected, Object got) {
        return new ConfigException(function + ": argument #" + (i + 1) + " must be " + expected + ", got " + typeName(got));
    }

    /** The Lua type name of a converted value. */
    public static String typeName(Object value) {
        return LuaTypes.name(value);
    }
}
