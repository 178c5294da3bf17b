package dev.sluice.policy.kumo.uuid;

import dev.sluice.policy.LuaBytes;
import dev.sluice.policy.LuaObject;
import java.nio.ByteBuffer;
import java.util.UUID;

/** The Uuid object: fields {@code bytes}, {@code hyphenated}, {@code simple}, {@code braced}, {@code urn}; tostring = hyphenated. */
final class LuaUuid implements LuaObject {
    private final UUID uuid;

    LuaUuid(UUID uuid) {
        this.uuid = uuid;
    }

    @Override
    public String typeName() {
        return "Uuid";
    }

    @Override
    public String display() {
        return uuid.toString();
    }

    @Override
    public Object index(Object key) {
        return switch (String.valueOf(key)) {
            case "bytes" -> new LuaBytes(ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits())
                    .putLong(uuid.getLeastSignificantBits()).array());
            case "hyphenated" -> uuid.toString();
            case "simple" -> uuid.toString().replace("-", "");
            case "braced" -> "{" + uuid + "}";
            case "urn" -> "urn:uuid:" + uuid;
            default -> null;
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LuaUuid other && other.uuid.equals(uuid);
    }

    @Override
    public int hashCode() {
        return uuid.hashCode();
    }
}
