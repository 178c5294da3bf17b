package dev.sluice.policy.egress;

import dev.sluice.policy.Durations;
import java.time.Duration;
import java.util.Map;

/**
 * A KumoMTA throttle {@code "N/period"}: {@code "100/hr"}, {@code "1,000/minute"}, {@code "local:10/s"},
 * {@code "50/5m"}. Also the form of a suspension {@code Threshold}.
 *
 * @param limit  events allowed per period (at least 1)
 * @param period the period (positive)
 * @param local  the {@code local:} prefix: this node only, never shared through a cluster store
 */
public record ThrottleSpec(long limit, Duration period, boolean local) {
    private static final Map<String, Duration> UNITS = Map.ofEntries(
            Map.entry("s", Duration.ofSeconds(1)), Map.entry("sec", Duration.ofSeconds(1)),
            Map.entry("second", Duration.ofSeconds(1)),
            Map.entry("m", Duration.ofMinutes(1)), Map.entry("min", Duration.ofMinutes(1)),
            Map.entry("minute", Duration.ofMinutes(1)),
            Map.entry("h", Duration.ofHours(1)), Map.entry("hr", Duration.ofHours(1)),
            Map.entry("hour", Duration.ofHours(1)),
            Map.entry("d", Duration.ofDays(1)), Map.entry("day", Duration.ofDays(1)));

    public ThrottleSpec {
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
        if (period == null) {
            try {
                period = Durations.parse(p);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid throttle '" + text + "': unknown period '" + p + "'");
            }
        }
        try {
            return new ThrottleSpec(limit, period, local);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid throttle '" + text + "': " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return (local ? "local:" : "") + limit + "/" + period.toSeconds() + "s";
    }
}
