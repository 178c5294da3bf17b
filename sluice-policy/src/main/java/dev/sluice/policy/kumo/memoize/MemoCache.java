package dev.sluice.policy.kumo.memoize;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.LuaObject;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/**
 * One named memoize cache: least-recently-used entries beyond the capacity go, entries expire after
 * ttl (or when the config epoch moves, if asked). One caller at a time populates a key: the others
 * (other Lua states) wait for its result up to {@code populate_timeout}; then they fail, populate it
 * themselves ({@code retry_on_populate_timeout}) or take the expired value ({@code allow_stale_reads}).
 *
 * <p>The Lua half asks {@code cache:get(args...)}: {@code {value = v}} on a hit, {@code {populate = true}}
 * when the caller must call the function and then {@code cache:put(value, args...)} or, if it raised,
 * {@code cache:abandon(args...)}.
 */
final class MemoCache implements LuaObject {
    record Options(Duration ttl, int capacity, Duration populateTimeout, boolean retryOnPopulateTimeout,
            boolean allowStaleReads) {}

    private final String name;
    private final Options options;
    private final LongSupplier epoch;
    private final LongSupplier clock;
    private final MemoizeMetrics metrics;
    private final LinkedHashMap<List<Object>, Cached> entries;
    /** Keys being populated, with the thread doing it and the future its result completes. */
    private final Map<List<Object>, Population> populating = new HashMap<>();

    private record Cached(Object value, long expiresAt, long epoch) {}

    private record Population(Thread thread, CompletableFuture<Boolean> done) {}

    MemoCache(String name, Options options, LongSupplier epoch, LongSupplier clock) {
        this(name, options, epoch, clock, (event, cache) -> { });
    }

    MemoCache(String name, Options options, LongSupplier epoch, LongSupplier clock, MemoizeMetrics metrics) {
        this.name = name;
        this.metrics = metrics;
        this.options = options;
        this.epoch = epoch;
        this.clock = clock;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<List<Object>, Cached> eldest) {
                return size() > options.capacity();
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
            case "abandon" -> LuaObject.method(this, args -> {
                finish(key(args));
                return null;
            });
            default -> null;
        };
    }

    private Object get(List<Object> args) throws InterruptedException {
        List<Object> key = key(args);
        metrics.count(MemoizeMetrics.Event.LOOKUP, name);
        boolean missed = false;
        while (true) {
            Population other;
            synchronized (this) {
                Cached e = entries.get(key);
                if (e != null && fresh(e)) {
                    metrics.count(MemoizeMetrics.Event.HIT, name);
                    return hit(e.value());
                }
                if (!missed) {
                    missed = true;
                    metrics.count(MemoizeMetrics.Event.MISS, name);
                }
                if (e != null && !options.allowStaleReads()) {
                    entries.remove(key);
                }
                other = populating.get(key);
                if (other == null || other.thread() == Thread.currentThread()) {
                    if (other != null) {
                        throw new ConfigException("kumo.memoize '" + name + "': the function called itself with the same"
                                + " arguments while computing them");
                    }
                    populating.put(key, new Population(Thread.currentThread(), new CompletableFuture<>()));
                    return Map.of("populate", true);
                }
            }
            try {
                other.done().get(options.populateTimeout().toNanos(), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                // cannot happen: the future only completes normally
            } catch (TimeoutException e) {
                synchronized (this) {
                    Cached stale = entries.get(key);
                    if (options.allowStaleReads() && stale != null) {
                        return hit(stale.value());
                    }
                    if (!options.retryOnPopulateTimeout()) {
                        throw new ConfigException("kumo.memoize '" + name + "': timed out after "
                                + options.populateTimeout().toMillis() + " ms waiting for another call to compute the value");
                    }
                    if (populating.get(key) == other) { // take over from the slow caller
                        populating.remove(key);
                    }
                }
            }
        }
    }

    private boolean fresh(Cached e) {
        return clock.getAsLong() - e.expiresAt() < 0 && e.epoch() == epoch.getAsLong();
    }

    private static Map<String, Object> hit(Object value) {
        Map<String, Object> hit = new LinkedHashMap<>();
        hit.put("value", Memoizable.shared(value));
        return hit;
    }

    private void put(Object value, List<Object> args) {
        List<Object> key = key(args);
        try {
            check(value, "its result");
            synchronized (this) {
                entries.put(key, new Cached(Memoizable.shared(value), clock.getAsLong() + options.ttl().toNanos(), epoch.getAsLong()));
            }
            metrics.count(MemoizeMetrics.Event.POPULATED, name);
        } finally {
            finish(key);
        }
    }

    private void finish(List<Object> key) {
        Population p;
        synchronized (this) {
            p = populating.get(key);
            if (p == null || p.thread() != Thread.currentThread()) {
                return;
            }
            populating.remove(key);
        }
        p.done().complete(true);
    }

    private List<Object> key(List<Object> args) {
        for (Object arg : args) {
            check(arg, "an argument");
        }
        return List.copyOf(args.stream().map(a -> a == null ? (Object) Nil.NIL : a).toList());
    }

    private void check(Object value, String what) {
        Memoizable.check(value, "kumo.memoize '" + name + "': " + what);
    }

    /** List.copyOf refuses nulls; nil arguments are keyed by this marker. */
    private enum Nil { NIL }
}
