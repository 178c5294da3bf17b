package dev.sluice.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.policy.LuaReferences.Reference;
import org.junit.jupiter.api.Test;

class LuaReferencesTest {
    @Test
    void findsKumoPathsWithTheirLinesOutsideCommentsAndStrings() {
        String source = """
                local kumo = require 'kumo'   -- kumo.in_comment
                --[==[ kumo.in_long_comment
                ]==]
                local s = "kumo.in_string \\" kumo.still_string" .. kumo.after_concat
                local t = [[
                kumo.in_long_string]] local u = kumo . spaced . path
                local v = x.kumo.field_of_x, y:kumo()
                kumo.dkim.rsa_sha256_signer { key = 'kumo.k' }
                return kumo.on
                """;
        assertThat(LuaReferences.scan(source)).containsExactly(
                new Reference("after_concat", 4),
                new Reference("spaced.path", 6),
                new Reference("dkim.rsa_sha256_signer", 8),
                new Reference("on", 9));
    }
}
