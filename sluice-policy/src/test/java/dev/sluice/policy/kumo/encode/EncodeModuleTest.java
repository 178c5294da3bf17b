package dev.sluice.policy.kumo.encode;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.policy.kumo.LuaSnippets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EncodeModuleTest {
    @TempDir
    Path dir;

    @Test
    void everyCodecRoundTripsBinaryBytesExactly() throws Exception {
        Object result = LuaSnippets.eval(dir,
                "local e = kumo.encode",
                "local binary = '\\0\\255\\128abc\\r\\n\\xfe'",
                "for _, c in ipairs {'base32', 'base32_nopad', 'base32hex', 'base32hex_nopad', 'base64',",
                "    'base64_nopad', 'base64url', 'base64url_nopad', 'hex'} do",
                "  local text = e[c .. '_encode'](binary)",
                "  assert(e[c .. '_decode'](text) == binary, c)",
                "end",
                "assert(e.hex_encode(binary) == '00ff806162630d0afe')",
                "assert(e.base64_encode('Sluice!') == 'U2x1aWNlIQ==' and e.base64_nopad_encode('Sluice!') == 'U2x1aWNlIQ')",
                "assert(e.base32_encode('Sluice!') == 'KNWHK2LDMUQQ====' and e.base32hex_encode('Sluice!') == 'ADM7AQB3CKGG====')",
                "assert(e.base64url_encode('\\251\\255') == '-_8=' and e.base64_encode('\\251\\255') == '+/8=')",
                "assert(e.base64url_encode('\\250\\255\\254') == '-v_-' and e.base64_encode('\\250\\255\\254') == '+v/+')",
                "assert(e.charset_decode('ISO-8859-1', '\\233t\\233') == 'été')",
                "assert(e.charset_encode('ISO-8859-1', 'été') == '\\233t\\233')",
                "kumo.on('test', function() return e.base64_decode('U2x1aWNlIQ==') end)");
        assertThat(result).isEqualTo("Sluice!");
    }

    @Test
    void invalidInputNamesTheCodec() throws Exception {
        String error = LuaSnippets.loadError(dir, "kumo.encode.base64_nopad_decode('U2x1aWNlIQ==')");
        assertThat(error).isEqualTo(dir.resolve("policy.lua")
                + ":1: kumo.encode.base64_nopad_decode: invalid base64_nopad input: padding '=' is not allowed in base64_nopad");
    }
}
