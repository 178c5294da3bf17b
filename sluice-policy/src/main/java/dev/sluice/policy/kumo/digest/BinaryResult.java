package dev.sluice.policy.kumo.digest;

import dev.sluice.policy.LuaBytes;
import dev.sluice.policy.LuaObject;
import dev.sluice.policy.kumo.encode.Codecs;

/**
 * A digest as KumoMTA returns it: fields {@code bytes} (the raw bytes), {@code hex}, {@code base32},
 * {@code base32_nopad}, {@code base32hex}, {@code base32hex_nopad}, {@code base64},
 * {@code base64_nopad}, {@code base64url}, {@code base64url_nopad}; {@code tostring} gives the hex.
 */
public final class BinaryResult implements LuaObject {
    private final byte[] bytes;

    public BinaryResult(byte[] bytes) {
        this.bytes = bytes.clone();
    }

    @Override
    public String typeName() {
        return "BinaryResult";
    }

    @Override
    public String display() {
        return Codecs.HEX.encode(bytes);
    }

    @Override
    public Object index(Object key) {
        String name = String.valueOf(key);
        if (name.equals("bytes")) {
            return new LuaBytes(bytes);
        }
        for (Codecs codec : Codecs.values()) {
            if (codec.luaName.equals(name)) {
                return codec.encode(bytes);
            }
        }
        return null;
    }
}
