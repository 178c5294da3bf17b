package dev.sluice.policy.kumo.memoize;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.policy.Policy;
import dev.sluice.policy.kumo.LuaSnippets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemoizeModuleTest {
    @TempDir
    Path dir;

    @Test
    void oneCacheIsSharedByAllLuaStatesAndKeyedByArgumentValues() throws Exception {
        try (Policy policy = LuaSnippets.load(dir,
                "local me = string.format('%p', {})      -- differs in each Lua state",
                "local calls = 0",
                "local function lookup(files, domain)",
                "  calls = calls + 1",
                "  return {state = me, files = files, domain = domain}",
                "end",
                "local cached = kumo.memoize(lookup, {name = 'lookup', ttl = '5 minutes', capacity = 10})",
                "kumo.on('test', function(domain)",
                "  local r = cached({'a.toml', 'b.toml'}, domain)",
                "  return {state = r.state, files = r.files, calls = calls, me = me}",
                "end)")) {
            @SuppressWarnings("unchecked") Map<String, Object> first = (Map<String, Object>) policy.call("test", "x.example");
            @SuppressWarnings("unchecked") Map<String, Object> second = (Map<String, Object>) policy.call("test", "x.example");
            // The pool hands out the other state for the second call: it did not call lookup, it got the first state's value.
            assertThat(second.get("me")).isNotEqualTo(first.get("me"));
            assertThat(second.get("state")).isEqualTo(first.get("me"));
            assertThat(second.get("calls")).isEqualTo(0L);
            assertThat(second.get("files")).isEqualTo(List.of("a.toml", "b.toml"));
            @SuppressWarnings("unchecked") Map<String, Object> other = (Map<String, Object>) policy.call("test", "y.example");
            assertThat(other.get("calls")).isEqualTo(2L); // a new argument value is a miss (in the first state again)
        }
    }

    @Test
    void missingParametersAreReportedAtTheCallersLine() throws Exception {
        String error = LuaSnippets.loadError(dir, "local f = function() end", "local c = kumo.memoize(f, {name = 'x', ttl = '1m'})");
        assertThat(error).isEqualTo(dir.resolve("policy.lua") + ":2: kumo.memoize: 'capacity' is required and must be a positive integer, got nil");
    }

    @Test
    void cachingAFunctionValueIsAnError() throws Exception {
        String error = LuaSnippets.loadError(dir,
                "local c = kumo.memoize(function() return {f = print} end, {name = 'x', ttl = '1m', capacity = 1})",
                "",
                "c()");
        assertThat(error).isEqualTo(dir.resolve("policy.lua")
                + ":3: kumo.memoize 'x': its result is a function, which cannot be kept outside its Lua state (only data and kumo objects can)");
    }

    @Test
    void entriesExpireAfterTtlAndTheEldestGoesAtCapacityAndEpochEmpties() throws Exception {
        AtomicLong now = new AtomicLong();
        AtomicLong epoch = new AtomicLong();
        MemoCache cache = new MemoCache("c", options(false, false), epoch::get, now::get);
        assertThat(get(cache, "a")).isEqualTo(Map.of("populate", true));
        put(cache, "A", "a");
        assertThat(get(cache, "b")).isEqualTo(Map.of("populate", true));
        put(cache, "B", "b");
        assertThat(get(cache, "a")).isEqualTo(Map.of("value", "A"));
        assertThat(get(cache, "c")).isEqualTo(Map.of("populate", true));
        put(cache, "C", "c"); // b is the least recently used
        assertThat(get(cache, "b")).isEqualTo(Map.of("populate", true));
        ((dev.sluice.policy.LuaFunction) cache.index("abandon")).call(List.of("b"));
        assertThat(get(cache, "c")).isEqualTo(Map.of("value", "C"));
        now.set(Duration.ofSeconds(10).toNanos());
        assertThat(get(cache, "a")).isEqualTo(Map.of("populate", true));
        put(cache, "A2", "a");
        assertThat(get(cache, "d")).isEqualTo(Map.of("populate", true));
        put(cache, "D", "d");
        epoch.incrementAndGet();
        assertThat(get(cache, "d")).isEqualTo(Map.of("populate", true));
    }

    private static MemoCache.Options options(boolean retry, boolean stale) {
        return new MemoCache.Options(Duration.ofSeconds(10), 2, Duration.ofMillis(200), retry, stale);
    }

    @Test
    void aSecondCallerWaitsForTheFirstOnesValueInsteadOfComputingItAgain() throws Exception {
        MemoCache cache = new MemoCache("c", new MemoCache.Options(Duration.ofMinutes(1), 10, Duration.ofMinutes(1), false, false),
                () -> 0L, System::nanoTime);
        assertThat(get(cache, "k")).isEqualTo(Map.of("populate", true));
        var waiter = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return get(cache, "k");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        put(cache, "V", "k");
        assertThat(waiter.get(1, java.util.concurrent.TimeUnit.MINUTES)).isEqualTo(Map.of("value", "V"));
    }

    @Test
    void aWaiterThatTimesOutFailsOrComputesItselfOrTakesTheStaleValue() throws Exception {
        AtomicLong now = new AtomicLong();
        MemoCache failing = new MemoCache("slow", options(false, false), () -> 0L, now::get);
        MemoCache retrying = new MemoCache("retry", options(true, false), () -> 0L, now::get);
        MemoCache stale = new MemoCache("stale", options(false, true), () -> 0L, now::get);
        get(stale, "k");
        put(stale, "OLD", "k");
        now.set(Duration.ofSeconds(11).toNanos()); // OLD has expired
        for (MemoCache c : List.of(failing, retrying, stale)) {
            assertThat(get(c, "k")).isEqualTo(Map.of("populate", true)); // this thread starts computing and never finishes
        }
        assertThat(inOtherThread(() -> {
            try {
                return get(failing, "k");
            } catch (Exception e) {
                return e.getMessage();
            }
        })).isEqualTo("kumo.memoize 'slow': timed out after 200 ms waiting for another call to compute the value");
        assertThat(inOtherThread(() -> get(retrying, "k"))).isEqualTo(Map.of("populate", true));
        assertThat(inOtherThread(() -> get(stale, "k"))).isEqualTo(Map.of("value", "OLD"));
    }

    private static Object inOtherThread(java.util.concurrent.Callable<Object> task) throws Exception {
        try (var executor = java.util.concurrent.Executors.newSingleThreadExecutor()) {
            return executor.submit(task).get(1, java.util.concurrent.TimeUnit.MINUTES);
        }
    }

    @Test
    void aFailingFunctionLetsTheNextCallTryAgain() throws Exception {
        Object result = LuaSnippets.eval(dir,
                "local n = 0",
                "local f = kumo.memoize(function() n = n + 1; if n == 1 then error('first fails') end; return n end,",
                "  {name = 'flaky', ttl = '1h', capacity = 1})",
                "local ok, err = pcall(f)",
                "assert(not ok and err:match('policy.lua:2: first fails$'), err)",
                "kumo.on('test', function() return f() end)");
        assertThat(result).isEqualTo(2L);
    }

    @Test
    void eachCallGetsItsOwnCopyOfAMemoizedDomainMap() throws Exception {
        try (Policy policy = LuaSnippets.load(dir,
                "local get = kumo.memoize(function() return kumo.domain_map.new { ['*.example.com'] = 'wild' } end,",
                "  { name = 'maps', ttl = '1h', capacity = 1 })",
                "kumo.on('first', function() local m = get(); m['a.example.com'] = 'mine'; return m['a.example.com'] end)",
                "kumo.on('change', function() local m = get(); m['b.example.com'] = 'changed'; return m['b.example.com'] end)",
                "kumo.on('read', function(d) return get()[d] end)")) {
            assertThat(policy.call("first")).isEqualTo("mine"); // the caller that computed it changes its own map
            assertThat(policy.call("read", "a.example.com")).isEqualTo("wild");
            assertThat(policy.call("change")).isEqualTo("changed"); // a hit's copy can be changed too...
            assertThat(policy.call("read", "b.example.com")).isEqualTo("wild"); // ...without changing the cache
            assertThat(policy.call("read", "b.example.com")).isEqualTo("wild"); // (in either state)
        }
    }

    @Test
    void lookupsHitsMissesAndPopulationsAreCountedPerCache() throws Exception {
        var registry = new io.prometheus.metrics.model.registry.PrometheusRegistry();
        Path file = java.nio.file.Files.writeString(dir.resolve("policy.lua"), String.join("\n",
                "local f = kumo.memoize(function(k) return k end, { name = 'counted', ttl = '1h', capacity = 5 })",
                "kumo.on('test', function(k) return f(k) end)") + "\n");
        try (Policy policy = Policy.load(new dev.sluice.policy.PolicyOptions(file, 1, List.of(), registry))) {
            policy.call("test", "a");
            policy.call("test", "a");
            policy.call("test", "b");
            Map<String, Double> counts = new java.util.TreeMap<>();
            registry.scrape().stream().filter(m -> m.getMetadata().getName().startsWith("memoize_cache_"))
                    .forEach(m -> ((io.prometheus.metrics.model.snapshots.CounterSnapshot) m).getDataPoints()
                            .forEach(d -> counts.put(m.getMetadata().getName() + "{" + d.getLabels().get("cache_name") + "}",
                                    d.getValue())));
            assertThat(counts).isEqualTo(Map.of(
                    "memoize_cache_lookup_count{counted}", 3.0,
                    "memoize_cache_hit_count{counted}", 1.0,
                    "memoize_cache_miss_count{counted}", 2.0,
                    "memoize_cache_populated_count{counted}", 2.0));
        }
    }

    private static void put(MemoCache cache, Object value, Object arg) throws Exception {
        ((dev.sluice.policy.LuaFunction) cache.index("put")).call(List.of(value, arg));
    }

    private static Object get(MemoCache cache, Object arg) throws Exception {
        return ((dev.sluice.policy.LuaFunction) cache.index("get")).call(List.of(arg));
    }
}
