package dev.sluice.proxy;

import java.time.Duration;

/**
 * A rate of new sessions, written {@code N/s}, {@code N/m}, {@code N/min}, {@code N/h} or {@code N/d}.
 *
 * @param count sessions allowed per {@code per} (also the burst)
 * @param per the period
 */
public record SessionRate(long count, Duration per) {
    public SessionRate {
        if (count < 1) {
            throw new IllegalArgumentException("the count must be at least 1: " + count);
        }
        if (per == null || per.isNegative() || per.isZero()) {
            throw new IllegalArgumentException("the period must be positive: " + per);
        }
    }

    /** @throws IllegalArgumentException text that is not {@code N/unit} */
    public static SessionRate parse(String text) {
        String[] parts = text.trim().split("/", -1);
        if (parts.length != 2) {
            throw new IllegalArgumentException("'" + text + "' is not a rate like '20/s' (units s, m, h, d)");
        }
        long count;
        try {
            count = Long.parseLong(parts[0].trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a rate like '20/s' (units s, m, h, d)");
        }
        Duration per = switch (parts[1].trim()) {
            case "s", "sec", "second" -> Duration.ofSeconds(1);
            case "m", "min", "minute" -> Duration.ofMinutes(1);
            case "h", "hour" -> Duration.ofHours(1);
            case "d", "day" -> Duration.ofDays(1);
            default -> throw new IllegalArgumentException("'" + text + "' is not a rate like '20/s' (units s, m, h, d)");
        };
        return new SessionRate(count, per);
    }

    @Override
    public String toString() {
        return count + "/" + (per.equals(Duration.ofSeconds(1)) ? "s" : per.equals(Duration.ofMinutes(1)) ? "m"
                : per.equals(Duration.ofHours(1)) ? "h" : "d");
    }
}
