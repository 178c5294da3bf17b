package dev.sluice.policy.kumo.digest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.policy.kumo.LuaSnippets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DigestModuleTest {
    @TempDir
    Path dir;

    @Test
    void digestObjectsOfferEveryEncodingAndTheRawBytes() throws Exception {
        Object result = LuaSnippets.eval(dir,
                "local d = kumo.digest.sha256('abc')",
                "assert(tostring(d) == d.hex)",
                "assert(d.hex == 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')",
                "assert(#d.bytes == 32 and d.bytes:byte(1) == 0xba and d.bytes:byte(32) == 0xad)",
                "assert(kumo.encode.hex_encode(d.bytes) == d.hex)",
                "assert(d.base64 == 'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=' and d.base64_nopad == 'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0')",
                "assert(d.base64url_nopad == 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0')",
                "assert(kumo.encode.base32_decode(d.base32) == d.bytes and kumo.encode.base32hex_nopad_decode(d.base32hex_nopad) == d.bytes)",
                "-- several arguments are digested in turn; non-strings as JSON",
                "assert(kumo.digest.sha1('a', 'bc').hex == kumo.digest.sha1('abc').hex)",
                "assert(kumo.digest.md5 == nil or true)",
                "assert(kumo.digest.sha1({1, 2}).hex == kumo.digest.sha1('[1,2]').hex)",
                "assert(kumo.digest.crc32('123456789').hex == 'cbf43926')",
                "assert(kumo.digest.sha3_256('').hex == 'a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a')",
                "assert(kumo.digest.sha512_256('abc').hex == '53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23')",
                "kumo.on('test', function() return kumo.digest.hmac_sha256({key_data = 'key'},",
                "  'The quick brown fox jumps over the lazy dog').hex end)");
        assertThat(result).isEqualTo("f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
    }

    @Test
    void hmacKeyFromAFile() throws Exception {
        Files.writeString(dir.resolve("hmac.key"), "key");
        Object result = LuaSnippets.eval(dir,
                "kumo.on('test', function() return kumo.digest.hmac_sha1('" + dir.resolve("hmac.key")
                        + "', 'The quick brown fox jumps over the lazy dog').hex end)");
        assertThat(result).isEqualTo("de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9");
    }
}
