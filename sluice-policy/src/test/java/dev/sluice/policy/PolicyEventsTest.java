package dev.sluice.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyEventsTest {
    @TempDir
    Path dir;

    private Policy load(Path file, int pool, LuaModule... modules) throws PolicyException {
        return Policy.load(new PolicyOptions(file, pool, List.of(modules), null));
    }

    @Test
    void lastHandlerWinsForSingleHandlerEvents() throws Exception {
        Path file = PolicyFiles.write(dir, "p.lua",
                "kumo.on('get_egress_source', function(name) return 'first ' .. name end)",
                "kumo.on('get_egress_source', function(name) return 'second ' .. name end)");
        try (Policy policy = load(file, 2)) {
            assertThat(policy.call("get_egress_source", "ip-1")).isEqualTo("second ip-1");
        }
    }

    @Test
    void getQueueConfigKeepsEveryHandlerAndReturnsFirstNonNil() throws Exception {
        Path file = PolicyFiles.write(dir, "p.lua",
                "kumo.on('get_queue_config', function(domain) if domain == 'a.example' then return {n = 1} end end)",
                "kumo.on('get_queue_config', function(domain) return {n = 2} end)",
                "kumo.on('get_queue_config', function(domain) return {n = 3} end)");
        try (Policy policy = load(file, 1)) {
            assertThat(policy.call("get_queue_config", "a.example")).isEqualTo(Map.of("n", 1L));
            assertThat(policy.call("get_queue_config", "b.example")).isEqualTo(Map.of("n", 2L));
        }
    }

    @Test
    void preInitRunsEveryHandlerInOrder() throws Exception {
        List<Object> seen = new CopyOnWriteArrayList<>();
        LuaModule recorder = r -> r.function("test", "record", args -> seen.add(args.getFirst()));
        Path file = PolicyFiles.write(dir, "p.lua",
                "kumo.on('pre_init', function() test.record('one') end)",
                "kumo.on('pre_init', function() test.record('two') end)",
                "kumo.on('init', function() test.record('init-a') end)",
                "kumo.on('init', function() test.record('init-b') end)");
        try (Policy policy = load(file, 1, recorder)) {
            policy.runOnce("pre_init");
            policy.runOnce("init");
        }
        assertThat(seen).containsExactly("one", "two", "init-b");
    }

    @Test
    void runOnceRunsInExactlyOneStateAndOnlyOnce() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        LuaModule counter = r -> r.function("test", "count", args -> calls.incrementAndGet());
        Path file = PolicyFiles.write(dir, "p.lua", "kumo.on('proxy_init', function() test.count() end)");
        try (Policy policy = load(file, 3, counter)) {
            policy.runOnce("proxy_init");
            assertThat(calls).hasValue(1);
            assertThatThrownBy(() -> policy.runOnce("proxy_init")).isInstanceOf(IllegalStateException.class);
            assertThat(calls).hasValue(1);
        }
    }

    @Test
    void hasHandlerAndMissingHandlerReturnsNull() throws Exception {
        Path file = PolicyFiles.write(dir, "p.lua", "kumo.on('init', function() return 'x' end)");
        try (Policy policy = load(file, 1)) {
            assertThat(policy.hasHandler("init")).isTrue();
            assertThat(policy.hasHandler("proxy_init")).isFalse();
            assertThat(policy.call("proxy_init")).isNull();
        }
    }

    @Test
    void argumentsAndResultsConvertBothWays() throws Exception {
        Path file = PolicyFiles.write(dir, "p.lua",
                "kumo.on('echo', function(...) return {...} end)",
                "kumo.on('describe', function(t) return { math.type(t.i), math.type(t.f), t.list[2], t.nested.deep.x, #t.list } end)");
        try (Policy policy = load(file, 1)) {
            Map<String, Object> table = Map.of(
                    "i", 7, "f", 1.5, "list", List.of("a", "b"), "nested", Map.of("deep", Map.of("x", true)));
            assertThat(policy.call("describe", table)).isEqualTo(List.of("integer", "float", "b", true, 2L));
            Object echoed = policy.call("echo", "s", 42L, 2.5, true, Map.of("k", List.of(1, Map.of("z", "y"))));
            assertThat(echoed).isEqualTo(List.of("s", 42L, 2.5, true, Map.of("k", List.of(1L, Map.of("z", "y")))));
        }
    }

    @Test
    void moduleFunctionsReceiveNestedTablesAndReturnValues() throws Exception {
        List<Object> received = new CopyOnWriteArrayList<>();
        LuaModule proxy = r -> {
            r.function("proxy", "start_proxy_listener", args -> {
                received.addAll(args);
                return Map.of("listening", true);
            });
            r.kumoFunction("start_proxy_listener", args -> "alias");
        };
        Path file = PolicyFiles.write(dir, "p.lua",
                "local p = require 'proxy'",
                "local k = require 'kumo'",
                "assert(k == kumo, 'require kumo returns the global')",
                "assert(p == proxy, 'require proxy returns the global')",
                "kumo.on('proxy_init', function()",
                "  local r = p.start_proxy_listener{listen = '127.0.0.1:0', tcp_keepalive = {enabled = false}, names = {'a', 'b'}}",
                "  return {r.listening, kumo.start_proxy_listener()}",
                "end)");
        try (Policy policy = load(file, 1, proxy)) {
            assertThat(policy.call("proxy_init")).isEqualTo(List.of(true, "alias"));
        }
        assertThat(received).containsExactly(Map.of(
                "listen", "127.0.0.1:0", "tcp_keepalive", Map.of("enabled", false), "names", List.of("a", "b")));
    }

    @Test
    void standardLibrariesAndPolicyDirectoryOnPackagePath() throws Exception {
        PolicyFiles.write(dir, "helper.lua", "return { answer = 41 + 1 }");
        PolicyFiles.write(dir, "shared.lua", "SHARED_VALUE = string.upper('from dofile')");
        Path file = PolicyFiles.write(dir, "p.lua",
                "local helper = require 'helper'",
                "dofile('" + dir.resolve("shared.lua") + "')",
                "kumo.on('facts', function()",
                "  return { os.getenv('PATH'), helper.answer, SHARED_VALUE, math.max(1, 9), table.concat({'a','b'}, '-'), type(io.open) }",
                "end)");
        try (Policy policy = load(file, 1)) {
            assertThat(policy.call("facts")).isEqualTo(
                    List.of(System.getenv("PATH"), 42L, "FROM DOFILE", 9L, "a-b", "function"));
        }
    }

    @Test
    void callAsyncReturnsTheResult() throws Exception {
        Path file = PolicyFiles.write(dir, "p.lua", "kumo.on('get_egress_pool', function(name) return {name = name} end)");
        try (Policy policy = load(file, 2)) {
            assertThat(policy.callAsync("get_egress_pool", "pool-a").get()).isEqualTo(Map.of("name", "pool-a"));
        }
    }
}
