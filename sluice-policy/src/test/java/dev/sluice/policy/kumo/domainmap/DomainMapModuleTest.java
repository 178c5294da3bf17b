package dev.sluice.policy.kumo.domainmap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.policy.Policy;
import dev.sluice.policy.kumo.LuaSnippets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DomainMapModuleTest {
    @TempDir
    Path dir;

    @Test
    void exactKeysWildcardsAndSeeding() throws Exception {
        Object result = LuaSnippets.eval(dir,
                "local d = kumo.domain_map.new { ['*.corp.example'] = 'corp', ['corp.example'] = 1 }",
                "assert(d['corp.example'] == 1)",
                "assert(d['mx.corp.example'] == 'corp')",
                "assert(d['a.b.corp.example'] == 'corp')",
                "assert(d['example'] == nil and d['other.example'] == nil)",
                "d['*.shop.example'] = 'shop'",
                "assert(d['shop.example'] == nil and d['www.shop.example'] == 'shop')",
                "d['www.shop.example'] = 'www'",
                "assert(d['www.shop.example'] == 'www')",
                "assert(d['WWW.Shop.Example'] == 'www')",
                "-- Sluice: an exact key does not hide the wildcard for the names below it",
                "assert(d['img.www.shop.example'] == 'shop')",
                "d['www.shop.example'] = nil",
                "assert(d['www.shop.example'] == 'shop')",
                "assert(kumo.json_encode(d) == '{\"*.corp.example\":\"corp\",\"*.shop.example\":\"shop\",\"corp.example\":1}', kumo.json_encode(d))",
                "kumo.on('test', function() return d['x.corp.example'] end)");
        assertThat(result).isEqualTo("corp");
    }

    @Test
    void aMemoizedMapIsServedToEveryStateAndAWriteChangesOnlyTheCallersCopy() throws Exception {
        try (Policy policy = LuaSnippets.load(dir,
                "local load = kumo.memoize(function() return kumo.domain_map.new { ['*.a.example'] = 'a' } end,",
                "  {name = 'dmap', ttl = '1h', capacity = 1})",
                "kumo.on('set', function(k, v) load()[k] = v end)",
                "kumo.on('test', function(k) return load()[k] end)")) {
            assertThat(policy.call("test", "x.a.example")).isEqualTo("a");
            policy.call("set", "b.example", "b"); // as in KumoMTA, each call gets a copy of the cached map
            assertThat(policy.call("test", "b.example")).isNull();
            assertThat(policy.call("test", "b.example")).isNull();
            assertThat(policy.call("test", "y.a.example")).isEqualTo("a");
        }
    }
}
