package dev.sluice.policy.kumo.memoize;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.LuaOpaque;
import java.util.List;
import java.util.Map;

/**
 * KumoMTA's "memoizable" values: what may be kept outside the Lua state that made it and handed to another (memoize
 * caches, mpsc queues, task arguments): nil, booleans, numbers, strings, tables of those, and kumo objects
 * ({@link dev.sluice.policy.LuaObject}s such as domain maps, shared read-only); not functions, coroutines or userdata.
 * Converted values are already copies, so only the kinds need checking.
 */
public final class Memoizable {
    private Memoizable() {}

    /**
     * The value as a cache shared by every Lua state keeps it or hands it out: tables copied, kumo objects as
     * {@link dev.sluice.policy.LuaObject#memoized()} (a copy where Lua could change them).
     */
    public static Object shared(Object value) {
        return switch (value) {
            case dev.sluice.policy.LuaObject o -> o.memoized();
            case Map<?, ?> m -> {
                Map<Object, Object> copy = new java.util.LinkedHashMap<>();
                m.forEach((k, v) -> copy.put(k, shared(v)));
                yield copy;
            }
            case List<?> l -> {
                List<Object> copy = new java.util.ArrayList<>(l.size());
                l.forEach(v -> copy.add(shared(v)));
                yield copy;
            }
            case null, default -> value;
        };
    }

    /** Throws {@code <what> is a function, which cannot be …} for a value (or part of one) that is not memoizable. */
    public static void check(Object value, String what) {
        switch (value) {
            case LuaOpaque o -> throw new ConfigException(what + " is a " + o.luaType()
                    + ", which cannot be kept outside its Lua state (only data and kumo objects can)");
            case Map<?, ?> m -> m.values().forEach(v -> check(v, what));
            case List<?> l -> l.forEach(v -> check(v, what));
            case null, default -> { }
        }
    }
}
