package dev.sluice.policy.kumo.regex;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.policy.kumo.LuaSnippets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegexModuleTest {
    @TempDir
    Path dir;

    @Test
    void compiledRegexMethodsBehaveAsKumoDocumentsThem() throws Exception {
        Object result = LuaSnippets.eval(dir,
                "local re = kumo.regex.compile '(?P<user>[^@\\\\s]+)@(?<domain>[\\\\w.]+)'",
                "local cap = re:captures 'mail bob@example.com now'",
                "assert(cap[0] == 'bob@example.com' and cap[1] == 'bob' and cap[2] == 'example.com')",
                "assert(cap.user == 'bob' and cap.domain == 'example.com')",
                "assert(re:captures 'no address' == nil)",
                "assert(re:is_match 'x a@b y' and not re:is_match 'nothing')",
                "local o = kumo.regex.compile 'o+'",
                "assert(o:find 'boooat' == 'ooo' and o:find 'x' == nil)",
                "assert(kumo.json_encode(o:find_all 'foo boo zoooo') == '[\"oo\",\"oo\",\"oooo\"]')",
                "assert(re:replace('to bob@example.com', '$domain:$1') == 'to example.com:bob')",
                "assert(re:replace('a@b', '${1}x $$ $nosuch.') == 'ax $ .')",
                "assert(o:replace_all('foo boo', '0') == 'f0 b0')",
                "assert(o:replacen('foo boo zoo', 2, '0') == 'f0 b0 zoo')",
                "local ws = kumo.regex.compile '[ \\\\t]+'",
                "assert(kumo.json_encode(ws:split 'a b \\t  c\\td') == '[\"a\",\"b\",\"c\",\"d\"]')",
                "assert(kumo.json_encode(kumo.regex.compile(','):split 'a,,b,') == '[\"a\",\"\",\"b\",\"\"]')",
                "assert(kumo.regex.compile('^[[:alpha:]]+[[:^alpha:]]$'):is_match 'abc1')",
                "kumo.on('test', function() return tostring(re) end)");
        assertThat(result).isEqualTo("Regex((?P<user>[^@\\s]+)@(?<domain>[\\w.]+))");
    }

    @Test
    void dollarIsTheEndOfTheTextAsInRustAndBackReferencesByName() throws Exception {
        Object result = LuaSnippets.eval(dir,
                "assert(not kumo.regex.compile('^ok$'):is_match('ok\\n'))",
                "assert(kumo.regex.compile('^ok$'):is_match('ok'))",
                "assert(kumo.regex.compile('[$]'):is_match('a$b') and kumo.regex.compile('\\\\$'):is_match('$'))",
                "assert(kumo.regex.compile('(?m)^ok$'):is_match('ok\\nno'))",
                "assert(kumo.regex.compile('(?P<w>\\\\w+) (?P=w)'):is_match('hello hello'))",
                "kumo.on('test', function() return kumo.regex.compile('(?P<w>a+)b(?P=w)'):find('xaabaa') end)");
        assertThat(result).isEqualTo("aabaa");
    }

    @Test
    void translateLeavesClassesAndEscapesAlone() {
        assertThat(RustRegex.translate("a$|[x$]|\\$|[]$]|[^]$]|[a-z&&[^$]]$"))
                .isEqualTo("a\\z|[x$]|\\$|[]$]|[^]$]|[a-z&&[^$]]\\z");
    }

    @Test
    void escapeMakesEveryMetacharacterLiteral() throws Exception {
        Object result = LuaSnippets.eval(dir,
                "local text = 'a.b*c (1+1) [x] {2} ^$ | ? # & - ~ \\\\'",
                "local re = kumo.regex.compile('^' .. kumo.regex.escape(text) .. '$')",
                "assert(re:is_match(text))",
                "assert(not re:is_match('aXb*c (1+1) [x] {2} ^$ | ? # & - ~ \\\\'))",
                "kumo.on('test', function() return kumo.regex.escape('1.2*') end)");
        assertThat(result).isEqualTo("1\\.2\\*");
    }

    @Test
    void badPatternIsReportedAtTheCallersLine() throws Exception {
        String error = LuaSnippets.loadError(dir, "", "local re = kumo.regex.compile '(unclosed'");
        assertThat(error).startsWith(dir.resolve("policy.lua") + ":2: kumo.regex.compile: invalid pattern '(unclosed': ");
    }

    @Test
    void regexSetMapReturnsTheValueOfAMatchingPattern() throws Exception {
        Object result = LuaSnippets.eval(dir,
                "local m = kumo.regex_set_map.new { ['^4\\\\d\\\\d'] = 'transient', ['^5\\\\d\\\\d'] = 'permanent', quota = 'full' }",
                "assert(m['451 try later'] == 'transient')",
                "assert(m['550 no such user'] == 'permanent')",
                "assert(m['mailbox quota exceeded'] == 'full')",
                "assert(m['250 ok'] == nil)",
                "kumo.on('test', function() return m['554 denied'] end)");
        assertThat(result).isEqualTo("permanent");
    }

    @Test
    void regexObjectsSurviveMemoizeAndAreSharedByStates() throws Exception {
        Object result = LuaSnippets.eval(dir,
                "local get = kumo.memoize(function(p) return kumo.regex.compile(p) end, {name = 're', ttl = '1h', capacity = 4})",
                "kumo.on('test', function() return get('^b+$'):is_match('bbb') and get('^b+$'):find('b') end)");
        assertThat(result).isEqualTo("b");
    }
}
