package dev.sluice.policy;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses durations as KumoMTA does (Rust's humantime): {@code '30 seconds'}, {@code '30s'}, {@code '5m'},
 * {@code '1h 30m'}, {@code '500ms'}, {@code '2 days'}; a plain number (Lua number or numeric string)
 * is seconds.
 */
public final class Durations {
    private static final Pattern PART = Pattern.compile("\\s*(\\d+)\\s*([a-zA-Zµ]+)");
    private static final Pattern NUMBER = Pattern.compile("[+]?\\d+(\\.\\d+)?");
    private static final long SECOND = 1_000_000_000L;
    /** Unit name → nanoseconds, the spellings humantime accepts. */
    private static final Map<String, Long> UNITS = Map.ofEntries(
            Map.entry("nsec", 1L), Map.entry("ns", 1L),
            Map.entry("usec", 1_000L), Map.entry("us", 1_000L), Map.entry("µs", 1_000L),
            Map.entry("msec", 1_000_000L), Map.entry("ms", 1_000_000L),
            Map.entry("seconds", SECOND), Map.entry("second", SECOND), Map.entry("sec", SECOND),
            Map.entry("secs", SECOND), Map.entry("s", SECOND),
            Map.entry("minutes", 60 * SECOND), Map.entry("minute", 60 * SECOND), Map.entry("min", 60 * SECOND),
            Map.entry("mins", 60 * SECOND), Map.entry("m", 60 * SECOND),
            Map.entry("hours", 3600 * SECOND), Map.entry("hour", 3600 * SECOND), Map.entry("hr", 3600 * SECOND),
            Map.entry("hrs", 3600 * SECOND), Map.entry("h", 3600 * SECOND),
            Map.entry("days", 86400 * SECOND), Map.entry("day", 86400 * SECOND), Map.entry("d", 86400 * SECOND),
            Map.entry("weeks", 604800 * SECOND), Map.entry("week", 604800 * SECOND), Map.entry("w", 604800 * SECOND),
            // humantime: a month is 30.44 days, a year 365.25 days
            Map.entry("months", 2_630_016 * SECOND), Map.entry("month", 2_630_016 * SECOND),
            Map.entry("M", 2_630_016 * SECOND),
            Map.entry("years", 31_557_600 * SECOND), Map.entry("year", 31_557_600 * SECOND),
            Map.entry("y", 31_557_600 * SECOND));

    private Durations() {}

    /** @throws ConfigException "invalid duration 'abc'" with the reason */
    public static Duration parse(Object value) {
        return switch (value) {
            case null -> throw new ConfigException("invalid duration: nil");
            case Long l -> ofSeconds(l, value);
            case Integer i -> ofSeconds(i, value);
            case Number n when !Double.isFinite(n.doubleValue()) ->
                    throw new ConfigException("invalid duration " + value + ": not a finite number");
            case Number n -> ofSeconds(BigDecimal.valueOf(n.doubleValue()), value);
            case String s -> parseString(s);
            default -> throw new ConfigException("invalid duration " + value + ": expected a string or a number");
        };
    }

    private static Duration parseString(String text) {
        String s = text.strip();
        if (NUMBER.matcher(s).matches()) {
            return ofSeconds(new BigDecimal(s), text);
        }
        if (s.isEmpty()) {
            throw new ConfigException("invalid duration '" + text + "': empty");
        }
        Matcher m = PART.matcher(s);
        long nanos = 0;
        int end = 0;
        while (end < s.length() && m.find(end) && m.start() == end) {
            Long unit = UNITS.get(m.group(2));
            if (unit == null) {
                throw new ConfigException("invalid duration '" + text + "': unknown unit '" + m.group(2) + "'");
            }
            try {
                nanos = Math.addExact(nanos, Math.multiplyExact(Long.parseLong(m.group(1)), unit));
            } catch (ArithmeticException | NumberFormatException e) {
                throw new ConfigException("invalid duration '" + text + "': too large");
            }
            end = m.end();
        }
        if (end != s.length()) {
            throw new ConfigException("invalid duration '" + text + "': expected a number followed by a unit"
                    + " such as '30 seconds', '5m' or '1h 30m'");
        }
        return Duration.ofNanos(nanos);
    }

    private static Duration ofSeconds(long seconds, Object original) {
        if (seconds < 0) {
            throw new ConfigException("invalid duration '" + original + "': negative");
        }
        return Duration.ofSeconds(seconds);
    }

    private static Duration ofSeconds(BigDecimal seconds, Object original) {
        if (seconds.signum() < 0) {
            throw new ConfigException("invalid duration '" + original + "': negative");
        }
        try {
            return Duration.ofNanos(seconds.movePointRight(9).setScale(0, RoundingMode.DOWN).longValueExact());
        } catch (ArithmeticException e) {
            throw new ConfigException("invalid duration '" + original + "': too large");
        }
    }
}
