package dev.sluice.policy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A Lua string that is not valid UTF-8 (binary data such as a digest's {@code bytes}), as seen from
 * Java; valid UTF-8 strings arrive as {@link String}. Pushing a LuaBytes gives Lua exactly these
 * bytes. Equality is by content.
 */
public record LuaBytes(byte[] bytes) {
    public LuaBytes {
        bytes = bytes.clone();
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /** The bytes of a converted Lua string: a String's UTF-8 form, or the LuaBytes' bytes. */
    public static byte[] of(Object luaString) {
        return switch (luaString) {
            case LuaBytes b -> b.bytes();
            case String s -> s.getBytes(StandardCharsets.UTF_8);
            default -> throw new IllegalArgumentException("expected a string, got " + LuaTypes.name(luaString));
        };
    }

    /** Text for messages: malformed sequences replaced. */
    public String lossyText() {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LuaBytes other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "LuaBytes[" + bytes.length + " bytes]";
    }
}
