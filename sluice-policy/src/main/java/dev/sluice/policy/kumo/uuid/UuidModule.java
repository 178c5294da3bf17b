package dev.sluice.policy.kumo.uuid;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.LuaModule;
import dev.sluice.policy.kumo.LuaArgs;
import java.security.SecureRandom;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * {@code kumo.uuid.new_v1()}, {@code new_v4()}, {@code new_v6()}, {@code new_v7()} and
 * {@code parse(s)} (hyphenated, simple, braced or urn form), each returning a {@link LuaUuid}.
 * Versions 1 and 6 use a random node id (multicast bit set, RFC 9562 §6.10) and a random clock sequence.
 */
public final class UuidModule implements LuaModule {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long GREGORIAN_OFFSET_100NS = 0x01B21DD213814000L;
    private static final Pattern HEX32 = Pattern.compile("[0-9a-fA-F]{32}");
    private static final long NODE = (RANDOM.nextLong() & 0xFFFF_FFFF_FFFFL) | 0x0100_0000_0000L;
    private static final long CLOCK_SEQ = RANDOM.nextInt(1 << 14);

    @Override
    public void install(Registrar r) {
        r.function("kumo.uuid", "new_v4", args -> new LuaUuid(UUID.randomUUID()));
        r.function("kumo.uuid", "new_v7", args -> new LuaUuid(v7()));
        r.function("kumo.uuid", "new_v1", args -> new LuaUuid(v1orV6(false)));
        r.function("kumo.uuid", "new_v6", args -> new LuaUuid(v1orV6(true)));
        r.function("kumo.uuid", "parse", args -> new LuaUuid(parse(LuaArgs.string(args, 0, "kumo.uuid.parse"))));
    }

    static UUID parse(String text) {
        String s = text.strip().toLowerCase(Locale.ROOT);
        if (s.startsWith("urn:uuid:")) {
            s = s.substring(9);
        } else if (s.startsWith("{") && s.endsWith("}")) {
            s = s.substring(1, s.length() - 1);
        }
        String hex = s.length() == 36 && s.charAt(8) == '-' && s.charAt(13) == '-' && s.charAt(18) == '-' && s.charAt(23) == '-'
                ? s.replace("-", "") : s;
        if (!HEX32.matcher(hex).matches()) {
            throw new ConfigException("kumo.uuid.parse: invalid UUID '" + text + "'");
        }
        return new UUID(Long.parseUnsignedLong(hex.substring(0, 16), 16), Long.parseUnsignedLong(hex.substring(16), 16));
    }

    private static UUID v7() {
        long ms = System.currentTimeMillis();
        long msb = (ms << 16) | 0x7000L | (RANDOM.nextInt() & 0x0FFFL);
        long lsb = (RANDOM.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
        return new UUID(msb, lsb);
    }

    private static UUID v1orV6(boolean v6) {
        java.time.Instant now = java.time.Instant.now();
        long ts = now.getEpochSecond() * 10_000_000L + now.getNano() / 100 + GREGORIAN_OFFSET_100NS;
        long msb;
        if (v6) {
            msb = ((ts >>> 12) << 16) | 0x6000L | (ts & 0x0FFFL);
        } else {
            long low = ts & 0xFFFF_FFFFL;
            long mid = (ts >>> 32) & 0xFFFFL;
            long high = (ts >>> 48) & 0x0FFFL;
            msb = (low << 32) | (mid << 16) | 0x1000L | high;
        }
        long lsb = 0x8000_0000_0000_0000L | (CLOCK_SEQ << 48) | NODE;
        return new UUID(msb, lsb);
    }
}
