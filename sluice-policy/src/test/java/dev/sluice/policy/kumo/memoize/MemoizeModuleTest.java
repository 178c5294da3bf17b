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
                + ":3: kumo.memoize 'x': its result is a function, which cannot be cached (only data and kumo objects can)");
    }

    @Test
    void entriesExpireAfterTtlAndTheEldestGoesAtCapacityAndEpochEmpties() throws Exception {
        AtomicLong now = new AtomicLong();
        AtomicLong epoch = new AtomicLong();
        MemoCache cache = new MemoCache("c", Duration.ofSeconds(10), 2, epoch::get, now::get);
        put(cache, "A", "a");
        put(cache, "B", "b");
        assertThat(get(cache, "a")).isEqualTo(Map.of("value", "A"));
        put(cache, "C", "c"); // b is the least recently used
        assertThat(get(cache, "b")).isNull();
        assertThat(get(cache, "c")).isEqualTo(Map.of("value", "C"));
        now.set(Duration.ofSeconds(10).toNanos());
        assertThat(get(cache, "a")).isNull();
        put(cache, "D", "d");
        epoch.incrementAndGet();
        assertThat(get(cache, "d")).isNull();
    }

    private static void put(MemoCache cache, Object value, Object arg) throws Exception {
        ((dev.sluice.policy.LuaFunction) cache.index("put")).call(List.of(value, arg));
    }

    private static Object get(MemoCache cache, Object arg) throws Exception {
        return ((dev.sluice.policy.LuaFunction) cache.index("get")).call(List.of(arg));
    }
}
