package dev.sluice.policy.kumo.encode;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.LuaModule;
import dev.sluice.policy.kumo.LuaArgs;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * {@code kumo.encode.<codec>_encode(STRING)} / {@code _decode(STRING)} for base32, base32_nopad,
 * base32hex, base32hex_nopad, base64, base64_nopad, base64url, base64url_nopad and hex (strings are
 * bytes: binary input and output are exact), and {@code charset_encode(CHARSET, TEXT, [ignore_errors
 * = true])} / {@code charset_decode(CHARSET, BYTES)} with the JDK's charsets.
 */
public final class EncodeModule implements LuaModule {
    @Override
    public void install(Registrar r) {
        for (Codecs codec : Codecs.values()) {
            String enc = codec.luaName + "_encode";
            String dec = codec.luaName + "_decode";
            r.function("kumo.encode", enc, args -> codec.encode(LuaArgs.bytes(args, 0, "kumo.encode." + enc)));
            r.function("kumo.encode", dec, args -> LuaArgs.luaString(codec.decode(LuaArgs.string(args, 0, "kumo.encode." + dec))));
        }
        r.function("kumo.encode", "charset_encode", args -> {
            Charset charset = charset(LuaArgs.string(args, 0, "kumo.encode.charset_encode"), "charset_encode");
            String text = LuaArgs.string(args, 1, "kumo.encode.charset_encode");
            boolean strict = Boolean.FALSE.equals(LuaArgs.get(args, 2));
            var encoder = charset.newEncoder()
                    .onMalformedInput(strict ? CodingErrorAction.REPORT : CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(strict ? CodingErrorAction.REPORT : CodingErrorAction.REPLACE);
            try {
                ByteBuffer out = encoder.encode(CharBuffer.wrap(text));
                byte[] bytes = new byte[out.remaining()];
                out.get(bytes);
                return LuaArgs.luaString(bytes);
            } catch (CharacterCodingException e) {
                throw new ConfigException("kumo.encode.charset_encode: the text cannot be represented in " + charset.name());
            }
        });
        r.function("kumo.encode", "charset_decode", args -> {
            Charset charset = charset(LuaArgs.string(args, 0, "kumo.encode.charset_decode"), "charset_decode");
            byte[] input = LuaArgs.bytes(args, 1, "kumo.encode.charset_decode");
            try {
                return charset.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(input)).toString();
            } catch (CharacterCodingException e) {
                throw new ConfigException("kumo.encode.charset_decode: the input is not valid " + charset.name());
            }
        });
    }

    private static Charset charset(String name, String function) {
        try {
            return Charset.forName(name);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("kumo.encode." + function + ": unknown charset '" + name + "'");
        }
    }

    static String utf8(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
