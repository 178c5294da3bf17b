package dev.sluice.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyErrorsTest {
    @TempDir
    Path dir;

    private static final ConfigSchema LISTENER = ConfigSchema.of("start_proxy_listener",
            Set.of("listen", "timeout", "use_splice"), Set.of("hostname"));

    private static final LuaModule PROXY = r -> r.function("proxy", "start_proxy_listener", args -> {
        ConfigTable t = ConfigTable.of(LISTENER, args.isEmpty() ? null : args.getFirst());
        return t.requireString("listen");
    });

    private Policy load(Path file) throws PolicyException {
        return Policy.load(new PolicyOptions(file, 1, List.of(PROXY), null));
    }

    @Test
    void syntaxErrorNamesFileAndLine() throws Exception {
        Path file = PolicyFiles.write(dir, "x.lua", "local a = 1", "local b = = 2");
        assertThatThrownBy(() -> load(file))
                .isInstanceOf(PolicyException.class)
                .hasMessageStartingWith(file + ":2: ")
                .hasMessageContaining("unexpected symbol");
    }

    @Test
    void longPathsAreReportedInFullNotAsLuaShortensThem() throws Exception {
        Path deep = java.nio.file.Files.createDirectories(dir.resolve("a-rather-long-directory-name/another-long-directory-name"));
        Path file = PolicyFiles.write(deep, "policy-with-a-long-name.lua", "kumo.on('e', function()", "  error('boom')", "end)");
        assertThat(file.toString().length()).isGreaterThan(60);
        try (Policy policy = load(file)) {
            assertThatThrownBy(() -> policy.call("e")).hasMessage(file + ":2: boom");
        }
    }

    @Test
    void runtimeErrorAtLoadNamesFileAndLine() throws Exception {
        Path file = PolicyFiles.write(dir, "x.lua", "local t = nil", "", "print(t.field)");
        assertThatThrownBy(() -> load(file))
                .isInstanceOf(PolicyException.class)
                .hasMessageStartingWith(file + ":3: ")
                .hasMessageContaining("attempt to index a nil value");
    }

    @Test
    void runtimeErrorInEventNamesFileLineAndEvent() throws Exception {
        Path file = PolicyFiles.write(dir, "x.lua",
                "kumo.on('get_egress_source', function(name)",
                "  error('no source called ' .. name)",
                "end)");
        try (Policy policy = load(file)) {
            assertThatThrownBy(() -> policy.call("get_egress_source", "ip-9"))
                    .isInstanceOf(PolicyException.class)
                    .hasMessage(file + ":2: no source called ip-9")
                    .extracting(e -> ((PolicyException) e).event()).isEqualTo("get_egress_source");
            // the state stays usable after an error
            assertThatThrownBy(() -> policy.call("get_egress_source", "ip-10")).hasMessageEndingWith("ip-10");
        }
    }

    @Test
    void nonStringErrorObjectsBecomeReadableMessages() throws Exception {
        Path file = PolicyFiles.write(dir, "x.lua", "kumo.on('e', function() error(setmetatable({}, {__tostring = function() return 'custom' end})) end)");
        try (Policy policy = load(file)) {
            assertThatThrownBy(() -> policy.call("e")).hasMessage(file + ":1: custom");
        }
    }

    @Test
    void callAsyncFailsWithPolicyException() throws Exception {
        Path file = PolicyFiles.write(dir, "x.lua", "kumo.on('e', function() local x = nil; return x.y end)");
        try (Policy policy = load(file)) {
            assertThatThrownBy(() -> policy.callAsync("e").get())
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(PolicyException.class).hasMessageStartingWith(file + ":1: ");
        }
    }

    @Test
    void javaExceptionInModuleFunctionIsReportedAtTheCallersLine() throws Exception {
        Path file = PolicyFiles.write(dir, "x.lua",
                "-- a proxy policy",
                "local proxy = require 'proxy'",
                "",
                "kumo.on('proxy_init', function()",
                "  -- typo below",
                "  proxy.start_proxy_listener {",
                "    lisen = '127.0.0.1:1080',",
                "  }",
                "end)");
        try (Policy policy = load(file)) {
            // a call spread over several lines is reported at the line where it starts
            assertThatThrownBy(() -> policy.runOnce("proxy_init"))
                    .isInstanceOf(PolicyException.class)
                    .hasMessage(file + ":6: start_proxy_listener: unknown key 'lisen'");
        }
    }

    @Test
    void javaExceptionOnASingleLineCallHasThatLine() throws Exception {
        Path file = PolicyFiles.write(dir, "x.lua",
                "kumo.on('proxy_init', function()", "", "", "", "", "",
                "  proxy.start_proxy_listener{lisen = '127.0.0.1:1080'}",
                "end)");
        try (Policy policy = load(file)) {
            assertThatThrownBy(() -> policy.runOnce("proxy_init"))
                    .hasMessage(file + ":7: start_proxy_listener: unknown key 'lisen'");
        }
    }

    @Test
    void missingRequiredKeyAtLoadTime() throws Exception {
        Path file = PolicyFiles.write(dir, "x.lua", "proxy.start_proxy_listener{timeout = '5s'}");
        assertThatThrownBy(() -> load(file))
                .isInstanceOf(PolicyException.class)
                .hasMessage(file + ":1: start_proxy_listener: missing required key 'listen'");
    }

    @Test
    void unimplementedKumoFunctionsSayNotImplemented() throws Exception {
        Path file = PolicyFiles.write(dir, "x.lua",
                "kumo.on('a', function() return kumo.make_egress_source{name = 'x'} end)",
                "kumo.on('b', function() kumo.dns.configure_resolver{} end)",
                "kumo.on('c', function() kumo.api.admin.bounce.v1{} end)",
                "kumo.on('d', function() proxy.start_http_listener{} end)",
                "kumo.on('e', function() return type(kumo.dkim), type(kumo.on) end)");
        try (Policy policy = load(file)) {
            assertThatThrownBy(() -> policy.call("a")).hasMessage(file + ":1: kumo.make_egress_source is not implemented");
            assertThatThrownBy(() -> policy.call("b")).hasMessage(file + ":2: kumo.dns.configure_resolver is not implemented");
            assertThatThrownBy(() -> policy.call("c")).hasMessage(file + ":3: kumo.api.admin.bounce.v1 is not implemented");
            assertThatThrownBy(() -> policy.call("d")).hasMessage(file + ":4: proxy.start_http_listener is not implemented");
            assertThat(policy.call("e")).isEqualTo("table");
        }
    }

    @Test
    void tailCallErrorsPointAtTheHandlerDefinition() throws Exception {
        Path file = PolicyFiles.write(dir, "x.lua",
                "",
                "kumo.on('get_egress_source', function(name)",
                "  local n = name",
                "  return kumo.make_egress_source{name = n}",
                "end)");
        try (Policy policy = load(file)) {
            assertThatThrownBy(() -> policy.call("get_egress_source", "s"))
                    .hasMessage(file + ":2: kumo.make_egress_source is not implemented");
        }
    }

    @Test
    void kumoOnRejectsNonFunctionHandlers() throws Exception {
        Path file = PolicyFiles.write(dir, "x.lua", "", "kumo.on('init', 'not a function')");
        assertThatThrownBy(() -> load(file))
                .hasMessage(file + ":2: kumo.on('init'): handler must be a function, got string");
    }
}
