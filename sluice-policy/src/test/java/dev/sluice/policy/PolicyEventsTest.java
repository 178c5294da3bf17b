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
    void secondHandlerForASingleHandlerEventIsAnErrorNamingTheFirst() throws Exception {
        Path file = PolicyFiles.write(dir, "p.lua",
                "kumo.on('get_egress_source', function(name) return 'first ' .. name end)",
                "",
                "kumo.on('get_egress_source', function(name) return 'second ' .. name end)");
        assertThatThrownBy(() -> load(file, 1)).isInstanceOf(PolicyException.class)
                .hasMessage(file + ":3: get_egress_source event already has a handler defined at " + file + ":1");
    }

    @Test
    void everyMultiHandlerEventOfKumoMtaAppendsHandlers() throws Exception {
        List<String> lines = new java.util.ArrayList<>();
        for (String event : List.of("pre_init", "validate_config", "get_queue_config", "throttle_insert_ready_queue",
                "should_enqueue_log_record", "requeue_message", "get_acl_definition")) {
            lines.add("kumo.on('" + event + "', function() end)");
            lines.add("kumo.on('" + event + "', function() return 'second " + event + "' end)");
            lines.add("kumo.on('" + event + "', function() return 'third' end)");
        }
        Path file = PolicyFiles.write(dir, "p.lua", lines.toArray(String[]::new));
        try (Policy policy = load(file, 1)) {
            // in registration order, up to the first that returns a value
            for (String event : List.of("get_queue_config", "throttle_insert_ready_queue", "should_enqueue_log_record",
                    "requeue_message", "get_acl_definition")) {
                assertThat(policy.call(event)).isEqualTo("second " + event);
            }
        }
    }

    @Test
    void validateConfigRunsEveryHandlerEvenAfterOneReturnsAValue() throws Exception {
        List<Object> seen = new CopyOnWriteArrayList<>();
        LuaModule recorder = r -> r.function("test", "record", args -> seen.add(args.getFirst()));
        Path file = PolicyFiles.write(dir, "p.lua",
                "kumo.on('validate_config', function() test.record('a'); return true end)",
                "kumo.on('validate_config', function() test.record('b') end)");
        try (Policy policy = load(file, 1, recorder)) {
            policy.call("validate_config");
        }
        assertThat(seen).containsExactly("a", "b");
    }

    @Test
    void registeringFromInsideARunningHandlerIsAnError() throws Exception {
        Path file = PolicyFiles.write(dir, "p.lua",
                "kumo.on('init', function()",
                "  kumo.on('smtp_server_ehlo', function() end)",
                "end)");
        try (Policy policy = load(file, 1)) {
            assertThatThrownBy(() -> policy.call("init")).isInstanceOf(PolicyException.class)
                    .hasMessageStartingWith(file + ":2: kumo.on('smtp_server_ehlo'): cannot register an event handler"
                            + " from inside the handler of 'init'");
            // the failed handler left the state at the top level again: a later call is still refused, not crashed
            assertThatThrownBy(() -> policy.call("init")).hasMessageContaining("inside the handler of 'init'");
            assertThat(policy.hasHandler("smtp_server_ehlo")).isFalse();
        }
    }

    @Test
    void getEventRegistrarsListsTheCallStackOfEachRegistration() throws Exception {
        PolicyFiles.write(dir, "helper.lua",
                "local M = {}",
                "function M.setup()",
                "  kumo.on('get_queue_config', function() end)",
                "end",
                "return M");
        Path file = PolicyFiles.write(dir, "p.lua",
                "require('helper').setup()",
                "kumo.on('get_queue_config', function() end)",
                "kumo.on('check', function(name) return { kumo.get_event_registrars(name), kumo.get_event_registrars('nothing') } end)");
        try (Policy policy = load(file, 1)) {
            List<?> result = (List<?>) policy.call("check", "get_queue_config");
            List<?> stacks = (List<?>) result.getFirst();
            assertThat(stacks).hasSize(2);
            assertThat((List<?>) stacks.get(0)).first().asString().endsWith("helper.lua:3");
            assertThat((List<?>) stacks.get(0)).anySatisfy(f -> assertThat((String) f).endsWith("p.lua:1"));
            assertThat((List<?>) stacks.get(1)).first().asString().endsWith("p.lua:2");
            assertThat(result).hasSize(1); // the second value, nil, is no element
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
                "kumo.on('init', function() test.record('init') end)");
        try (Policy policy = load(file, 1, recorder)) {
            policy.runOnce("pre_init");
            policy.runOnce("init");
        }
        assertThat(seen).containsExactly("one", "two", "init");
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
