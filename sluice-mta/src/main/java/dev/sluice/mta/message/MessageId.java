package dev.sluice.mta.message;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A spool id: 16 bytes, the first 8 the creation time in microseconds, the rest random, printed as 32 hex
 * digits. Time first, so that ids sort by age in the spool and an operator can read when a message came in.
 */
public record MessageId(long micros, long random) implements Comparable<MessageId> {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();

    public static MessageId next(Instant now) {
        return new MessageId(now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000, RANDOM.nextLong());
    }

    public static MessageId parse(String hex) {
        Objects.requireNonNull(hex, "id");
        if (hex.length() != 32) {
            throw new IllegalArgumentException("not a message id: '" + hex + "'");
        }
        return new MessageId(HexFormat.fromHexDigitsToLong(hex, 0, 16), HexFormat.fromHexDigitsToLong(hex, 16, 32));
    }

    public static MessageId fromBytes(byte[] b) {
        if (b.length != 16) {
            throw new IllegalArgumentException("a message id has 16 bytes, got " + b.length);
        }
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 8; i++) {
            hi = (hi << 8) | (b[i] & 0xff);
            lo = (lo << 8) | (b[i + 8] & 0xff);
        }
        return new MessageId(hi, lo);
    }

    public byte[] toBytes() {
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (micros >>> (56 - 8 * i));
            b[i + 8] = (byte) (random >>> (56 - 8 * i));
        }
        return b;
    }

    public Instant created() {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
    }

    @Override
    public int compareTo(MessageId o) {
        int c = Long.compareUnsigned(micros, o.micros);
        return c != 0 ? c : Long.compareUnsigned(random, o.random);
    }

    @Override
    public String toString() {
        return HEX.toHexDigits(micros) + HEX.toHexDigits(random);
    }
}
