package dev.sluice.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.policy.kumo.LuaSnippets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The built-in event that delivers through a custom_lua constructor: constructor, send or send_batch, close. */
class CustomLuaDeliverTest {
    @TempDir
    Path dir;

    private static final String CONNECTION = String.join("\n",
            "closed = 0",
            "kumo.on('make.hook', function(domain, tenant, campaign)",
            "  local c = {}",
            "  function c:send(msg)",
            "    if msg == 'temp' then kumo.reject(421, 'later') end",
            "    if msg == 'boom' then error('exploded') end",
            "    return 'sent ' .. msg .. ' for ' .. domain .. '/' .. tostring(tenant) .. '/' .. tostring(campaign)",
            "  end",
            "  function c:send_batch(msgs) return 'batch of ' .. #msgs .. ': ' .. msgs[1] end",
            "  function c:close() closed = closed + 1 end",
            "  return c",
            "end)",
            "kumo.on('make.nothing', function() return nil end)",
            "kumo.on('make.nosend', function() return {} end)");

    private Object deliver(Policy p, String constructor, boolean batched, String message) throws PolicyException {
        return p.call(KumoApi.CUSTOM_LUA_DELIVER, constructor, batched, "example.test", "t1", null, message);
    }

    @Test
    void sendOrSendBatchReturnsTheDispositionAndRejectionsStayTyped() throws Exception {
        try (Policy p = LuaSnippets.load(dir, CONNECTION)) {
            assertThat(deliver(p, "make.hook", false, "m1")).isEqualTo("sent m1 for example.test/t1/nil");
            assertThat(deliver(p, "make.hook", true, "m2")).isEqualTo("batch of 1: m2");
            assertThatThrownBy(() -> deliver(p, "make.hook", false, "temp"))
                    .isInstanceOfSatisfying(PolicyRejection.class, r -> {
                        assertThat(r.code()).isEqualTo(421);
                        assertThat(r.text()).isEqualTo("later");
                    });
            assertThatThrownBy(() -> deliver(p, "make.hook", false, "boom"))
                    .isNotInstanceOf(PolicyRejection.class).hasMessageEndingWith("policy.lua:6: exploded");
        }
    }

    @Test
    void aConstructorThatMakesNoConnectionIsAnErrorNamingIt() throws Exception {
        try (Policy p = LuaSnippets.load(dir, CONNECTION)) {
            assertThatThrownBy(() -> deliver(p, "make.nothing", false, "m"))
                    .hasMessageEndingWith("policy.lua:13: custom_lua: make.nothing returned nil, expected a connection table with a send method");
            assertThatThrownBy(() -> deliver(p, "make.nosend", false, "m"))
                    .hasMessageEndingWith("policy.lua:14: custom_lua: the connection made by make.nosend has no send method");
            assertThatThrownBy(() -> deliver(p, "make.missing", false, "m"))
                    .hasMessageContaining("custom_lua: no handler for the constructor event 'make.missing'");
        }
    }
}
