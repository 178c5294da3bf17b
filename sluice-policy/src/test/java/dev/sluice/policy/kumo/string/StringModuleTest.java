package dev.sluice.policy.kumo.string;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.policy.kumo.LuaSnippets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StringModuleTest {
    @TempDir
    Path dir;

    @Test
    void splittingReplacingTrimming() throws Exception {
        Object result = LuaSnippets.eval(dir,
                "local s = kumo.string",
                "local j = kumo.json_encode",
                "assert(s.starts_with('mx1.example.net', 'mx1.') and not s.starts_with('a', 'ab'))",
                "assert(s.ends_with('mx1.example.net', '.net') and not s.ends_with('a', 'ba'))",
                "assert(j(s.split('a.b..c', '.')) == '[\"a\",\"b\",\"\",\"c\"]')",
                "assert(j(s.splitn('one two three four', 2, ' ')) == '[\"one\",\"two three four\"]')",
                "assert(j(s.rsplit('one two three', ' ')) == '[\"three\",\"two\",\"one\"]')",
                "assert(j(s.rsplitn('one two three four', 2, ' ')) == '[\"four\",\"one two three\"]')",
                "assert(j(s.split_whitespace('  red\\u{a0}green\\tblue \\n')) == '[\"red\",\"green\",\"blue\"]')",
                "assert(j(s.split_ascii_whitespace('  red\\u{a0}green\\tblue ')) == '[\"red\\u{a0}green\",\"blue\"]')",
                "assert(s.replace('a-b-c', '-', '+') == 'a+b+c')",
                "assert(s.replacen('a-b-c-d', '-', '', 2) == 'abc-d')",
                "assert(s.trim('\\n \\u{a0}text here\\t\\n') == 'text here')",
                "assert(s.trim_start('\\n  x  ') == 'x  ' and s.trim_end('  x \\r\\n') == '  x')",
                "kumo.on('test', function() return s.split('', ',') end)");
        assertThat(result).isEqualTo(java.util.List.of(""));
    }

    @Test
    void wrapFillsLinesUpToTheSoftLimitAndCutsAtTheHardLimit() throws Exception {
        Object result = LuaSnippets.eval(dir,
                "assert(kumo.string.wrap 'short' == 'short')",
                "local cut = kumo.string.wrap(string.rep('B', 150), 60, 80)",
                "assert(cut == string.rep('B', 80) .. '\\r\\n\\t' .. string.rep('B', 70), cut)",
                "kumo.on('test', function() return kumo.string.wrap(string.rep('word ', 8), 20) end)");
        assertThat(result).isEqualTo("word word word word\r\n\tword word word word");
    }

    @Test
    void publicSuffixRulesExactWildcardAndException() {
        PublicSuffixList psl = new PublicSuffixList(java.util.List.of(
                "// comment", "com", "uk", "co.uk", "*.ck", "!www.ck", "github.io", "公司.cn", "cn"));
        assertThat(psl.suffix("www.Example.COM.")).isEqualTo("com");
        assertThat(psl.domain("www.example.com")).isEqualTo("example.com");
        assertThat(psl.domain("a.b.example.co.uk")).isEqualTo("example.co.uk");
        assertThat(psl.suffix("shop.foo.ck")).isEqualTo("foo.ck");
        assertThat(psl.domain("a.shop.foo.ck")).isEqualTo("shop.foo.ck");
        assertThat(psl.domain("www.ck")).isEqualTo("www.ck");
        assertThat(psl.domain("user.github.io")).isEqualTo("user.github.io");
        assertThat(psl.domain("x.example.xn--55qx5d.cn")).isEqualTo("example.xn--55qx5d.cn");
        assertThat(psl.suffix("host.unknowntld")).isEqualTo("unknowntld");
        assertThat(psl.domain("com")).isNull();
        assertThat(psl.domain("a..com")).isNull();
    }

    @Test
    void pslFunctionsUseTheSystemList() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isReadable(PublicSuffixList.DEFAULT_FILE));
        Object result = LuaSnippets.eval(dir,
                "assert(kumo.string.psl_suffix 'mail.example.co.uk' == 'co.uk')",
                "kumo.on('test', function() return kumo.string.psl_domain 'www.mail.Example.com' end)");
        assertThat(result).isEqualTo("example.com");
    }
}
