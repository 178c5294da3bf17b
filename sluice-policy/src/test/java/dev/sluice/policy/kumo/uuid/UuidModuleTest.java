package dev.sluice.policy.kumo.uuid;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.policy.kumo.LuaSnippets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UuidModuleTest {
    @TempDir
    Path dir;

    @Test
    void parseAcceptsEveryFormAndTheObjectOffersThemAll() throws Exception {
        Object result = LuaSnippets.eval(dir,
                "local u = kumo.uuid.parse '{0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0}'",
                "assert(tostring(u) == '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0')",
                "assert(u.simple == '0f1e2d3c4b5a69788796a5b4c3d2e1f0')",
                "assert(u.braced == '{0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0}')",
                "assert(u.urn == 'urn:uuid:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0')",
                "assert(u.bytes == '\\x0f\\x1e\\x2d\\x3c\\x4b\\x5a\\x69\\x78\\x87\\x96\\xa5\\xb4\\xc3\\xd2\\xe1\\xf0')",
                "assert(kumo.uuid.parse(u.urn).hyphenated == u.hyphenated and kumo.uuid.parse(u.simple).hyphenated == u.hyphenated)",
                "local versions = {}",
                "for _, v in ipairs {'new_v1', 'new_v4', 'new_v6', 'new_v7'} do",
                "  local h = kumo.uuid[v]().hyphenated",
                "  assert(h:match('^%x+%-%x+%-%x+%-[89ab]%x+%-%x+$'), h)",
                "  versions[#versions + 1] = h:sub(15, 15)",
                "end",
                "assert(kumo.uuid.new_v4().hyphenated ~= kumo.uuid.new_v4().hyphenated)",
                "kumo.on('test', function() return table.concat(versions) end)");
        assertThat(result).isEqualTo("1467");
    }

    @Test
    void invalidUuidIsAnError() throws Exception {
        String error = LuaSnippets.loadError(dir, "kumo.uuid.parse 'nope'");
        assertThat(error).isEqualTo(dir.resolve("policy.lua") + ":1: kumo.uuid.parse: invalid UUID 'nope'");
    }
}
