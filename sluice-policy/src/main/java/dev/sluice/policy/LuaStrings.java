package dev.sluice.policy;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import party.iroiro.luajava.Lua;

/**
 * Byte-exact string conversion. LuaJava's own string conversion goes through JNI's modified UTF-8,
 * which stops at a NUL byte, mangles bytes that are not UTF-8, and turns characters outside the BMP
 * into CESU-8; these methods avoid that where it matters.
 */
final class LuaStrings {
    /** string.char takes its bytes as arguments; stay well below Lua's stack limit. */
    private static final int CHUNK = 4096;

    private LuaStrings() {}

    /** The string at {@code index} as a String when it is valid UTF-8, else as {@link LuaBytes}. */
    static Object toJava(Lua lua, int index) {
        ByteBuffer buffer = lua.toBuffer(index);
        if (buffer == null) {
            return lua.toString(index);
        }
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(buffer.duplicate());
            return chars.toString();
        } catch (CharacterCodingException e) {
            byte[] bytes = new byte[buffer.remaining()];
            buffer.duplicate().get(bytes);
            return new LuaBytes(bytes);
        }
    }

    static void push(Lua lua, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == 0 || Character.isSurrogate(c)) {
                pushBytes(lua, s.getBytes(StandardCharsets.UTF_8));
                return;
            }
        }
        lua.push(s);
    }

    /** Pushes exactly these bytes as one Lua string (built with string.char, in chunks). */
    static void pushBytes(Lua lua, byte[] bytes) {
        int chunks = 0;
        for (int start = 0; start < bytes.length || chunks == 0; start += CHUNK) {
            int n = Math.min(CHUNK, bytes.length - start);
            lua.checkStack(n + 4);
            lua.getGlobal("string");
            lua.getField(-1, "char");
            lua.remove(-2);
            for (int i = 0; i < n; i++) {
                lua.push((long) (bytes[start + i] & 0xff));
            }
            lua.pCall(n, 1);
            chunks++;
            if (bytes.length == 0) {
                break;
            }
        }
        if (chunks > 1) {
            lua.concat(chunks);
        }
    }
}
