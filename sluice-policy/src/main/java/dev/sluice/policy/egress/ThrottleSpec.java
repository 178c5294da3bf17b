package dev.sluice.policy.egress;

import dev.sluice.policy.Durations;
import java.time.Duration;
import java.util.Map;

/**
 * A KumoMTA throttle {@code "[local:]N/period[,max_burst=B]"}: {@code "100/hr"}, {@code "1,000/minute"},
 * {@code "local:10/s"}, {@code "50/5m"}, {@code "20/30minute"}, {@code "60/minute,max_burst=1"}. Also the form of a
 * suspension {@code Threshold}.
 *
 * @param limit    events allowed per period (at least 1)
 * @param period   the period (positive)
 * @param local    the {@code local:} prefix: this node only, never shared through Redis
 * @param maxBurst how many may go at once (the {@code max_burst} term); 0 when not given, which means {@code limit}
 */
public record ThrottleSpec(long limit, Duration period, boolean local, long maxBurst) {
    private static final Map<String, Duration> UNITS = Map.ofEntries(
            Map.entry("s", Duration.ofSeconds(1)), Map.entry("sec", Duration.ofSeconds(1)),
            Map.entry("second", Duration.ofSeconds(1)),
            Map.entry("m", Duration.ofMinutes(1)), Map.entry("min", Duration.ofMinutes(1)),
            Map.entry("minute", Duration.ofMinutes(1)),
            Map.entry("h", Duration.ofHours(1)), Map.entry("hr", Duration.ofHours(1)),
            Map.entry("hour", Duration.ofHours(1)),
            Map.entry("d", Duration.ofDays(1)), Map.entry("day", Duration.ofDays(1)));

    public ThrottleSpec(long limit, Duration period, boolean local) {
        this(limit, period, local, 0);
    }

    public ThrottleSpec {
        if (maxBurst < 0) {
            throw new IllegalArgumentException("max_burst must be at least 1, got " + maxBurst);
        }
        if (limit < 1) {
            throw new IllegalArgumentException("throttle limit must be at least 1, got " + limit);
        }
        if (period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("throttle period must be positive, got " + period);
        }
    }

    /** @throws IllegalArgumentException naming the text and what is wrong */
    public static ThrottleSpec parse(String text) {
        String s = text.strip();
        boolean local = s.startsWith("local:");
        if (local) {
            s = s.substring("local:".length());
        }
        long burst = 0;
        int comma = s.indexOf(",max_burst=");
        if (comma >= 0) {
            String b = s.substring(comma + ",max_burst=".length()).strip().replace(",", "").replace("_", "");
            try {
                burst = Long.parseLong(b);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid throttle '" + text + "': max_burst '" + b + "' is not a number");
            }
            if (burst < 1) {
                throw new IllegalArgumentException("invalid throttle '" + text + "': max_burst must be at least 1");
            }
            s = s.substring(0, comma);
        }
        int slash = s.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("invalid throttle '" + text + "': expected N/period such as '100/hr'");
        }
        String n = s.substring(0, slash).strip().replace(",", "").replace("_", "");
        String p = s.substring(slash + 1).strip();
        long limit;
        try {
            limit = Long.parseLong(n);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid throttle '" + text + "': '" + n + "' is not a number");
        }
        Duration period = UNITS.get(p);
        int digits = 0;
        while (digits < p.length() && Character.isDigit(p.charAt(digits))) digits++;
        if (period == null && digits > 0 && UNITS.containsKey(p.substring(digits))) { // "30minute": 30 periods
            try {
                period = UNITS.get(p.substring(digits)).multipliedBy(Long.parseLong(p.substring(0, digits)));
            } catch (ArithmeticException | NumberFormatException e) {
                throw new IllegalArgumentException("invalid throttle '" + text + "': period '" + p + "' is too large");
            }
        }
        if (period == null) {
            try {
                period = Durations.parse(p);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid throttle '" + text + "': unknown period '" + p + "'");
            }
        }
        try {
            return new ThrottleSpec(limit, period, local, burst);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid throttle '" + text + "': " + e.getMessage());
        }
    }

    /** How many may go at once: {@code max_burst}, or {@code limit} when not given. */
    public long burst() {
        return maxBurst == 0 ? limit : maxBurst;
    }

    /** The period in whole seconds (at least 1), as KumoMTA keys and passes it to Redis. */
    public long periodSeconds() {
        return Math.max(1, period.toSeconds());
    }

    /** This spec with the {@code local:} prefix. */
    public ThrottleSpec asLocal() {
        return new ThrottleSpec(limit, period, true, maxBurst);
    }

    @Override
    public String toString() {
        return (local ? "local:" : "") + limit + "/" + period.toSeconds() + "s" + (maxBurst == 0 ? "" : ",max_burst=" + maxBurst);
    }
}
