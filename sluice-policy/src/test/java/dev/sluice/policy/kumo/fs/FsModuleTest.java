package dev.sluice.policy.kumo.fs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.policy.kumo.LuaSnippets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FsModuleTest {
    @TempDir
    Path dir;

    @Test
    void globMatchesWithinAndAcrossDirectories() throws Exception {
        Path etc = Files.createDirectories(dir.resolve("etc/policy/sub"));
        Files.writeString(etc.getParent().resolve("a.toml"), "");
        Files.writeString(etc.getParent().resolve("b.json"), "");
        Files.writeString(etc.resolve("c.toml"), "x");
        Object result = LuaSnippets.eval(dir,
                "local base = '" + dir + "'",
                "local j = kumo.json_encode",
                "assert(j(kumo.fs.glob(base .. '/etc/policy/*.toml')) == j({base .. '/etc/policy/a.toml'}))",
                "assert(j(kumo.glob(base .. '/etc/**/*.toml')) == j({base .. '/etc/policy/a.toml', base .. '/etc/policy/sub/c.toml'}))",
                "assert(j(kumo.fs.uncached_glob('policy/*.{json,toml}', base .. '/etc')) == '[\"policy/a.toml\",\"policy/b.json\"]')",
                "assert(#kumo.fs.glob(base .. '/nonexistent/*.toml') == 0)",
                "assert(#kumo.fs.read_dir(base .. '/etc/policy') == 3)",
                "local m = kumo.fs.metadata_for_path(base .. '/etc/policy/sub/c.toml')",
                "assert(m.is_file and not m.is_dir and m.len == 1 and m.mtime.year >= 2024)",
                "kumo.on('test', function() return kumo.fs.glob('*/*/sub/*', base) end)");
        assertThat(result).isEqualTo(List.of("etc/policy/sub/c.toml"));
    }

    @Test
    void openReadsWritesAndSeeksBytesExactly() throws Exception {
        Object result = LuaSnippets.eval(dir,
                "local name = '" + dir.resolve("data.bin") + "'",
                "local f = kumo.fs.open(name, 'w+')",
                "f:write 'hello\\0\\255 there'",
                "assert(f:seek 'set' == 0)",
                "assert(f:read(5) == 'hello')",
                "assert(f:read() == '\\0\\255 there')",
                "assert(f:seek('end') == 13)",
                "f:close()",
                "local a = kumo.fs.open(name, 'a')",
                "a:write '!'",
                "a:close()",
                "assert(not pcall(kumo.fs.open, name .. '.missing'))",
                "kumo.on('test', function() return kumo.fs.open(name):read() end)");
        assertThat(result).isEqualTo(new dev.sluice.policy.LuaBytes("hello\0\u00ff there!".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)));
    }
}
