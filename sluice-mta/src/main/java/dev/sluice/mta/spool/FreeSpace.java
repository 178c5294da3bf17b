package dev.sluice.mta.spool;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A free-space threshold: a share of the filesystem ({@code "10%"}) or an absolute amount (bytes or inodes). */
public sealed interface FreeSpace {

    /** True when {@code free} out of {@code total} is below this threshold. */
    boolean isBelow(long free, long total);

    record Percent(double percent) implements FreeSpace {
        public Percent {
            if (!(percent >= 0 && percent <= 100)) {
                throw new IllegalArgumentException("a percentage must be within 0..100, got " + percent);
            }
        }

        @Override
        public boolean isBelow(long free, long total) {
            return total > 0 && free * 100.0 / total < percent;
        }

        @Override
        public String toString() {
            return (percent == Math.rint(percent) ? String.valueOf((long) percent) : String.valueOf(percent)) + "%";
        }
    }

    record Absolute(long amount) implements FreeSpace {
        public Absolute {
            if (amount < 0) {
                throw new IllegalArgumentException("an amount must not be negative, got " + amount);
            }
        }

        @Override
        public boolean isBelow(long free, long total) {
            return free < amount;
        }

        @Override
        public String toString() {
            return String.valueOf(amount);
        }
    }

    Pattern SIZE = Pattern.compile("\\s*([0-9]+(?:\\.[0-9]+)?)\\s*([a-zA-Z]*)\\s*");

    /**
     * Parses {@code "10%"}, a plain integer, or a size with a unit: {@code B}, SI {@code KB MB GB TB}
     * (powers of 1000) or IEC {@code KiB MiB GiB TiB} (powers of 1024); case-insensitive.
     */
    static FreeSpace parse(Object value) {
        return switch (value) {
            case Long l -> new Absolute(l);
            case Integer i -> new Absolute(i);
            case Double d when d == Math.rint(d) && d >= 0 -> new Absolute(d.longValue());
            case String s -> parseString(s);
            case null -> throw new IllegalArgumentException("missing free-space threshold");
            default -> throw new IllegalArgumentException(
                    "expected \"10%\", \"1 GB\" or a number of bytes, got " + value);
        };
    }

    private static FreeSpace parseString(String s) {
        String t = s.trim();
        if (t.endsWith("%")) {
            try {
                return new Percent(Double.parseDouble(t.substring(0, t.length() - 1).trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a percentage: '" + s + "'");
            }
        }
        Matcher m = SIZE.matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException("expected \"10%\", \"1 GB\" or a number of bytes, got '" + s + "'");
        }
        double number = Double.parseDouble(m.group(1));
        long unit = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "", "b" -> 1L;
            case "k", "kb" -> 1_000L;
            case "m", "mb" -> 1_000_000L;
            case "g", "gb" -> 1_000_000_000L;
            case "t", "tb" -> 1_000_000_000_000L;
            case "kib" -> 1L << 10;
            case "mib" -> 1L << 20;
            case "gib" -> 1L << 30;
            case "tib" -> 1L << 40;
            default -> throw new IllegalArgumentException("unknown size unit '" + m.group(2) + "' in '" + s + "'");
        };
        return new Absolute(Math.round(number * unit));
    }
}
