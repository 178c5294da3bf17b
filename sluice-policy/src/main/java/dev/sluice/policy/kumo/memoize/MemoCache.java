package dev.sluice.policy.kumo.memoize;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.LuaObject;
import dev.sluice.policy.LuaOpaque;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/** One named memoize cache: least-recently-used entries beyond the capacity go, entries expire after ttl. */
final class MemoCache implements LuaObject {
    private final String name;
    private final long ttlNanos;
    private final LongSupplier epoch;
    private final LongSupplier clock;
    private final LinkedHashMap<List<Object>, Cached> entries;

    private record Cached(Object value, long expiresAt, long epoch) {}

    MemoCache(String name, Duration ttl, int capacity, LongSupplier epoch, LongSupplier clock) {
        this.name = name;
        this.ttlNanos = ttl.toNanos();
        this.epoch = epoch;
        this.clock = clock;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<List<Object>, Cached> eldest) {
                return size() > capacity;
            }
        };
    }

    @Override
    public String typeName() {
        return "MemoizeCache";
    }

    @Override
    public String display() {
        return "MemoizeCache(" + name + ")";
    }

    @Override
    public Object index(Object key) {
        return switch (String.valueOf(key)) {
            case "get" -> LuaObject.method(this, this::get);
            case "put" -> LuaObject.method(this, args -> {
                put(args.isEmpty() ? null : args.getFirst(), args.size() <= 1 ? List.of() : args.subList(1, args.size()));
                return null;
            });
            default -> null;
        };
    }

    /** {value = cached} on a hit (value absent when the function returned nil), nil on a miss. */
    private Object get(List<Object> args) {
        List<Object> key = key(args);
        synchronized (entries) {
            Cached e = entries.get(key);
            if (e == null) {
                return null;
            }
            if (clock.getAsLong() - e.expiresAt() >= 0 || e.epoch() != epoch.getAsLong()) {
                entries.remove(key);
                return null;
            }
            Map<String, Object> hit = new LinkedHashMap<>();
            hit.put("value", e.value());
            return hit;
        }
    }

    private void put(Object value, List<Object> args) {
        List<Object> key = key(args);
        check(value, "its result");
        synchronized (entries) {
            entries.put(key, new Cached(value, clock.getAsLong() + ttlNanos, epoch.getAsLong()));
        }
    }

    private List<Object> key(List<Object> args) {
        for (Object arg : args) {
            check(arg, "an argument");
        }
        return List.copyOf(args.stream().map(a -> a == null ? (Object) Nil.NIL : a).toList());
    }

    private void check(Object value, String what) {
        switch (value) {
            case LuaOpaque o -> throw new ConfigException("kumo.memoize '" + name + "': " + what + " is a " + o.luaType()
                    + ", which cannot be cached (only data and kumo objects can)");
            case Map<?, ?> m -> m.values().forEach(v -> check(v, what));
            case List<?> l -> l.forEach(v -> check(v, what));
            case null, default -> { }
        }
    }

    /** List.copyOf refuses nulls; nil arguments are keyed by this marker. */
    private enum Nil { NIL }
}
