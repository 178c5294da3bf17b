package dev.sluice.policy.kumo.serde;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.policy.kumo.LuaSnippets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SerdeModuleTest {
    @TempDir
    Path dir;

    @Test
    void jsonLoadToleratesCommentsAndKeepsIntegersFloatsArraysAndDropsNulls() throws Exception {
        Files.writeString(dir.resolve("data.json"), """
                {
                  // a C++ comment
                  "count": 3, /* a block comment */
                  "ratio": 3.0,
                  # a shell comment
                  "hosts": ["a", "b"],
                  "gone": null,
                  "empty": {}
                }
                """);
        Object result = LuaSnippets.eval(dir,
                "local d = kumo.json_load('" + dir.resolve("data.json") + "')",
                "assert(math.type(d.count) == 'integer' and d.count == 3)",
                "assert(math.type(d.ratio) == 'float')",
                "assert(#d.hosts == 2 and d.hosts[2] == 'b')",
                "assert(d.gone == nil)",
                "assert(kumo.serde.json_load == kumo.json_load or kumo.serde.json_load ~= nil)",
                "kumo.on('test', function() return kumo.json_encode(d) end)");
        assertThat(result).isEqualTo("{\"count\":3,\"empty\":{},\"hosts\":[\"a\",\"b\"],\"ratio\":3.0}");
    }

    @Test
    void jsonParseErrorNamesTheCallerAndTheParsersLine() throws Exception {
        Files.writeString(dir.resolve("bad.json"), "{\n  \"a\": 1,\n  \"b\" 2\n}\n");
        String error = LuaSnippets.loadError(dir,
                "local x = 1",
                "local d = kumo.json_load('" + dir.resolve("bad.json") + "')");
        assertThat(error).startsWith(dir.resolve("policy.lua") + ":2: parsing " + dir.resolve("bad.json")
                + " as json: line 3, column ");
    }

    @Test
    void missingFileIsAClearError() throws Exception {
        String error = LuaSnippets.loadError(dir, "kumo.serde.toml_load('/nonexistent/x.toml')");
        assertThat(error).isEqualTo(dir.resolve("policy.lua") + ":1: reading file /nonexistent/x.toml: no such file");
    }

    @Test
    void anEmptyArrayStaysAnArrayAndAnEmptyTableAnObject() throws Exception {
        Object result = LuaSnippets.eval(dir,
                "local d = kumo.json_parse '{\"hosts\": [], \"meta\": {}}'",
                "assert(#d.hosts == 0)",
                "kumo.on('test', function() return kumo.json_encode(d) .. kumo.json_encode({}) end)");
        assertThat(result).isEqualTo("{\"hosts\":[],\"meta\":{}}{}");
    }

    @Test
    void jsonEncodePrettyIsIndentedWithSortedKeys() throws Exception {
        Object result = LuaSnippets.eval(dir,
                "kumo.on('test', function() return kumo.serde.json_encode_pretty({b = {1, 2}, a = 'x', c = {}}) end)");
        assertThat(result).isEqualTo("{\n  \"a\": \"x\",\n  \"b\": [\n    1,\n    2\n  ],\n  \"c\": {}\n}");
    }

    @Test
    void tomlRoundTripsNestedTablesAndTypes() throws Exception {
        Files.writeString(dir.resolve("q.toml"), """
                [tenant.alpha]
                max_age = "5 days"
                retry = 10
                weight = 0.5
                mx = ["a.example", "b.example"]
                when = 1979-05-27T07:32:00Z
                """);
        Object result = LuaSnippets.eval(dir,
                "local t = kumo.toml_load('" + dir.resolve("q.toml") + "')",
                "assert(math.type(t.tenant.alpha.retry) == 'integer')",
                "assert(math.type(t.tenant.alpha.weight) == 'float')",
                "local again = kumo.serde.toml_parse(kumo.toml_encode(t))",
                "assert(again.tenant.alpha.mx[2] == 'b.example')",
                "kumo.on('test', function() return again end)");
        assertThat(result).isEqualTo(Map.of("tenant", Map.of("alpha", Map.of("max_age", "5 days", "retry", 10L,
                "weight", 0.5, "mx", List.of("a.example", "b.example"), "when", "1979-05-27T07:32:00Z"))));
    }

    @Test
    void tomlEncodeWritesSectionsLikeKumoMta() throws Exception {
        Object result = LuaSnippets.eval(dir,
                "local v = {name = 'x y', ports = {25, 587}, ratio = 2.0,",
                "  tenant = {alpha = {retry = 10}, beta = {}},",
                "  rules = {{regex = 'a'}, {regex = 'b', action = {kind = 'Suspend'}}}}",
                "local text = kumo.toml_encode(v)",
                "local again = kumo.toml_parse(text)",
                "assert(kumo.json_encode(again) == kumo.json_encode(v), text)",
                "assert(kumo.serde.toml_encode_pretty({ports = {25, 587}}) == 'ports = [\\n    25,\\n    587,\\n]\\n')",
                "assert(kumo.serde.toml_encode_pretty_compact({b = {}, a = 1}) == 'a = 1\\nb = {}\\n')",
                "kumo.on('test', function() return text end)");
        assertThat(result).isEqualTo("""
                name = "x y"
                ports = [25, 587]
                ratio = 2.0

                [tenant.alpha]
                retry = 10

                [tenant.beta]

                [[rules]]
                regex = "a"

                [[rules]]
                regex = "b"

                [rules.action]
                kind = "Suspend"
                """);
    }

    @Test
    void tomlParseErrorHasTheLine() throws Exception {
        String error = LuaSnippets.loadError(dir, "kumo.toml_parse('a = 1\\nb = = 2\\n')");
        assertThat(error).startsWith(dir.resolve("policy.lua") + ":1: parsing 'a = 1\\nb = = 2\\n' as toml: line 2, column ");
    }

    @Test
    void yamlParsesAndEncodes() throws Exception {
        Object result = LuaSnippets.eval(dir,
                "local y = kumo.serde.yaml_parse('name: x\\nports: [25, 587]\\nnothing: null\\n')",
                "assert(y.ports[2] == 587 and math.type(y.ports[2]) == 'integer' and y.nothing == nil)",
                "kumo.on('test', function() return kumo.serde.yaml_encode({name = 'x', ports = {25}}) end)");
        assertThat(result).isEqualTo("name: x\nports:\n- 25\n");
    }

    @Test
    void yamlLoadErrorNamesTheFileAndLine() throws Exception {
        Files.writeString(dir.resolve("bad.yaml"), "a: 1\nb: [1, 2\nc: 3\n");
        String error = LuaSnippets.loadError(dir, "kumo.serde.yaml_load('" + dir.resolve("bad.yaml") + "')");
        assertThat(error).startsWith(dir.resolve("policy.lua") + ":1: parsing " + dir.resolve("bad.yaml") + " as yaml: line ");
    }

    @Test
    void encodingAFunctionIsAnError() throws Exception {
        String error = LuaSnippets.loadError(dir, "kumo.json_encode({f = print})");
        assertThat(error).isEqualTo(dir.resolve("policy.lua") + ":1: cannot serialize value.f: a function has no data representation");
    }
}
