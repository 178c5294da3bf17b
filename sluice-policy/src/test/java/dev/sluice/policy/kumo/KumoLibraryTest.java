package dev.sluice.policy.kumo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.policy.Policy;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KumoLibraryTest {
    @TempDir
    Path dir;

    @Test
    void requireReturnsTheKumoTableAndItsSubmodules() throws Exception {
        Object result = LuaSnippets.eval(dir,
                "local k = require 'kumo'",
                "assert(k == kumo)",
                "local regex = require 'kumo.regex'",
                "assert(regex == kumo.regex and regex.compile('x+'):is_match('axx'))",
                "assert(require 'kumo.serde' == kumo.serde)",
                "assert(not pcall(require, 'kumo.no_such_module'))",
                "kumo.on('test', function() return (require 'kumo.string').trim '  ok ' end)");
        assertThat(result).isEqualTo("ok");
    }

    @Test
    void validationFailedIsRecordedWithTheCallersLineForSluiceCheck() throws Exception {
        try (Policy policy = LuaSnippets.load(dir,
                "kumo.on('validate_config', function()",
                "  print('the sources file lists no pool')",
                "  kumo.validation_failed()",
                "end)")) {
            assertThat(policy.validationFailures()).isEmpty();
            policy.call("validate_config");
            assertThat(policy.validationFailures()).containsExactly(dir.resolve("policy.lua") + ":3");
        }
    }

    @Test
    void tracebackListsTheLuaFramesFromTheCaller() throws Exception {
        Object result = LuaSnippets.eval(dir,
                "local function inner()",
                "  local frames = kumo.traceback(1)",
                "  return frames",
                "end",
                "kumo.on('test', function()",
                "  local frames = inner()",
                "  return {frames[1], frames[2], kumo.traceback(0)[1].what}",
                "end)");
        @SuppressWarnings("unchecked") List<Object> got = (List<Object>) result;
        @SuppressWarnings("unchecked") List<Map<String, Object>> frames = List.of((Map<String, Object>) got.get(0), (Map<String, Object>) got.get(1));
        assertThat(got.get(2)).isEqualTo("C");
        assertThat(frames.getFirst()).containsEntry("curr_line", 2L).containsEntry("what", "Lua")
                .containsEntry("short_src", dir.resolve("policy.lua").toString()).containsEntry("line_defined", 1L)
                .containsEntry("name", "inner");
        assertThat(frames.get(1)).containsEntry("curr_line", 6L);
    }
}
