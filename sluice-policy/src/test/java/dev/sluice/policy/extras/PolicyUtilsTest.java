package dev.sluice.policy.extras;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.policy.kumo.LuaSnippets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code require 'policy-extras.policy_utils'}: the helpers KumoMTA policies call, with their results. */
class PolicyUtilsTest {
    @TempDir
    Path dir;

    @Test
    void stringAndTableHelpers() throws Exception {
        Object result = LuaSnippets.eval(dir,
                "local utils = require 'policy-extras.policy_utils'",
                "kumo.on('test', function()",
                "  local ip, port = utils.split_ip_port('[::1]:25')",
                "  local ip4, port4 = utils.split_ip_port('10.0.0.1:2525')",
                "  local dest = { a = 1, nested = { x = 1, y = 2 } }",
                "  utils.recursive_merge_into({ b = 2, nested = { y = 3 } }, dest)",
                "  local shallow = { nested = { x = 1 } }",
                "  utils.merge_into({ nested = { z = 1 } }, shallow)",
                "  return {",
                "    ip, port, ip4, port4,",
                "    utils.starts_with('policy-extras', 'policy'), utils.ends_with('a.toml', '.toml'), utils.ends_with('a.json', '.toml'),",
                "    utils.table_contains({ 'x', 'y' }, 'y'), utils.table_contains({ 'x' }, nil), utils.table_is_empty({}),",
                "    utils.equals({ 1, { 2 } }, { 1, { 2 } }), utils.equals({ 1 }, { 1, 2 }),",
                "    dest.b, dest.nested.x, dest.nested.y, shallow.nested.x == nil,",
                "    select(2, pcall(utils.assert_eq, { 1 }, { 2 }, 'lists')),",
                "  }",
                "end)");
        assertThat(result).isEqualTo(List.of("::1", "25", "10.0.0.1", "2525", true, true, false, true, false, true,
                true, false, 2L, 1L, 3L, true, "lists: expected [2], got [1]"));
    }

    @Test
    void dataFilesAreTomlByNameJsonOtherwiseAndTablesAsTheyAre() throws Exception {
        Files.writeString(dir.resolve("a.toml"), "[source.\"ip-1\"]\nsource_address = \"10.0.0.1\"\n");
        Files.writeString(dir.resolve("b.json"), "{\"k\": [1, 2]}\n");
        Object result = LuaSnippets.eval(dir,
                "local utils = require 'policy-extras.policy_utils'",
                "kumo.on('test', function()",
                "  return {",
                "    toml = utils.load_json_or_toml_file('" + dir.resolve("a.toml") + "').source['ip-1'].source_address,",
                "    json = utils.load_json_or_toml_file('" + dir.resolve("b.json") + "').k,",
                "    inline = utils.load_json_or_toml_file({ x = 'y' }).x,",
                "  }",
                "end)");
        assertThat(result).isEqualTo(Map.of("toml", "10.0.0.1", "json", List.of(1L, 2L), "inline", "y"));
    }
}
