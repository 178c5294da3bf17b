package dev.sluice.policy.kumo.memoize;

import dev.sluice.policy.ConfigEpoch;
import dev.sluice.policy.ConfigException;
import dev.sluice.policy.Durations;
import dev.sluice.policy.LuaModule;
import dev.sluice.policy.kumo.LuaArgs;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * {@code kumo.memoize(fn, {name, ttl, capacity, invalidate_with_epoch?, populate_timeout?,
 * retry_on_populate_timeout?, allow_stale_reads?})}: returns a function that caches {@code fn}'s
 * result by the values of its arguments (tables compared by content). The caches live in Java, one
 * per name, shared by every Lua state of the policy; a cached value is copied into the calling state
 * (tables become fresh tables; {@link dev.sluice.policy.LuaObject}s such as domain maps are shared).
 * Functions cannot be cached or used as arguments.
 *
 * <p>One state at a time computes a key; the others wait up to {@code populate_timeout} (default
 * 120 s), then fail, compute it themselves ({@code retry_on_populate_timeout}) or take the expired value
 * ({@code allow_stale_reads}). The computing call itself is not interrupted (Sluice's event time limit
 * applies to it).
 */
public final class MemoizeModule implements LuaModule {
    private static final Set<String> KEYS = Set.of("name", "ttl", "capacity", "invalidate_with_epoch",
            "populate_timeout", "retry_on_populate_timeout", "allow_stale_reads");

    private static final String SCRIPT = """
            local natives = ...
            local kumo = package.loaded.kumo

            local function reraise(message)
              -- natives report at this chunk's line; report at the user's instead
              error((tostring(message):gsub('^kumo%.memoize:%d+: ', '')), 3)
            end

            rawset(kumo, 'memoize', function(fn, params)
              if type(fn) ~= 'function' then
                error('kumo.memoize: argument #1 must be a function, got ' .. type(fn), 2)
              end
              local ok, cache = pcall(natives.cache, params)
              if not ok then reraise(cache) end
              return function(...)
                local ok, r = pcall(cache.get, cache, ...)
                if not ok then reraise(r) end
                if not r.populate then return r.value end
                local computed, value = pcall(fn, ...)
                if not computed then
                  cache:abandon(...)
                  error(value, 0)
                end
                local stored, err = pcall(cache.put, cache, value, ...)
                if not stored then reraise(err) end
                return value
              end
            end)
            """;

    private final Map<String, MemoCache> caches = new ConcurrentHashMap<>();
    private final ConfigEpoch epoch;
    private final LongSupplier clock;
    private volatile MemoizeMetrics metrics = (event, cache) -> { };

    /** @param epoch what empties the caches made with {@code invalidate_with_epoch = true} when it moves */
    public MemoizeModule(ConfigEpoch epoch) {
        this(epoch, System::nanoTime);
    }

    MemoizeModule(ConfigEpoch epoch, LongSupplier clock) {
        this.epoch = epoch;
        this.clock = clock;
    }

    /** Where the caches count lookups, hits, misses and populations (the policy's registry). */
    public void countWith(MemoizeMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void install(Registrar r) {
        r.script("kumo.memoize", SCRIPT, Map.of("cache", args -> cache(LuaArgs.get(args, 0))));
    }

    private MemoCache cache(Object params) {
        if (!(params instanceof Map<?, ?> map)) {
            throw new ConfigException("kumo.memoize: argument #2 must be a table {name, ttl, capacity}, got "
                    + LuaArgs.typeName(params));
        }
        for (Object key : map.keySet()) {
            if (!KEYS.contains(String.valueOf(key))) {
                throw new ConfigException("kumo.memoize: unknown parameter '" + key + "'; expected one of " + new java.util.TreeSet<>(KEYS));
            }
        }
        if (!(map.get("name") instanceof String name) || name.isEmpty()) {
            throw new ConfigException("kumo.memoize: 'name' is required and must be a string");
        }
        if (map.get("ttl") == null) {
            throw new ConfigException("kumo.memoize: 'ttl' is required (a duration such as '5 minutes')");
        }
        Duration ttl = Durations.parse(map.get("ttl"));
        if (!(map.get("capacity") instanceof Long capacity) || capacity < 1) {
            throw new ConfigException("kumo.memoize: 'capacity' is required and must be a positive integer, got "
                    + LuaArgs.typeName(map.get("capacity")));
        }
        Duration populateTimeout = map.get("populate_timeout") == null ? Duration.ofSeconds(120)
                : Durations.parse(map.get("populate_timeout"));
        boolean staleReads = Boolean.TRUE.equals(map.get("allow_stale_reads"));
        boolean withEpoch = !staleReads && Boolean.TRUE.equals(map.get("invalidate_with_epoch"));
        var options = new MemoCache.Options(ttl, capacity.intValue(), populateTimeout,
                Boolean.TRUE.equals(map.get("retry_on_populate_timeout")), staleReads);
        // without invalidate_with_epoch a cache still starts empty when the policy file is reloaded (its code may have
        // changed what it computes)
        return caches.computeIfAbsent(name, n -> new MemoCache(n, options, withEpoch ? epoch::current : epoch::generation, clock,
                (event, cache) -> metrics.count(event, cache)));
    }
}
