package dev.sluice.policy.kumo.time;

import dev.sluice.policy.LuaObject;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * KumoMTA's Time (always UTC): fields {@code year, month, day, hour, minute, second, unix_timestamp,
 * unix_timestamp_millis, rfc2822, rfc3339, elapsed}; method {@code format(strftime)}; {@code tostring}
 * like {@code 2000-01-02 03:04:05 UTC}; {@code time + delta}, {@code time - delta},
 * {@code time - time} (a TimeDelta), comparisons.
 */
public record LuaTime(Instant instant) implements LuaObject {
    private static final DateTimeFormatter RFC2822 = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss xx", Locale.ROOT);

    @Override
    public String typeName() {
        return "Time";
    }

    private ZonedDateTime utc() {
        return instant.atZone(ZoneOffset.UTC);
    }

    @Override
    public String display() {
        ZonedDateTime t = utc();
        return String.format(Locale.ROOT, "%04d-%02d-%02d %02d:%02d:%02d%s UTC", t.getYear(), t.getMonthValue(),
                t.getDayOfMonth(), t.getHour(), t.getMinute(), t.getSecond(), fraction(t.getNano()));
    }

    /** chrono's automatic fraction: none, or 3, 6 or 9 digits. */
    static String fraction(int nanos) {
        if (nanos == 0) {
            return "";
        }
        if (nanos % 1_000_000 == 0) {
            return String.format(Locale.ROOT, ".%03d", nanos / 1_000_000);
        }
        if (nanos % 1_000 == 0) {
            return String.format(Locale.ROOT, ".%06d", nanos / 1_000);
        }
        return String.format(Locale.ROOT, ".%09d", nanos);
    }

    @Override
    public Object index(Object key) {
        ZonedDateTime t = utc();
        return switch (String.valueOf(key)) {
            case "year" -> (long) t.getYear();
            case "month" -> (long) t.getMonthValue();
            case "day" -> (long) t.getDayOfMonth();
            case "hour" -> (long) t.getHour();
            case "minute" -> (long) t.getMinute();
            case "second" -> (long) t.getSecond();
            case "unix_timestamp" -> instant.getEpochSecond();
            case "unix_timestamp_millis" -> instant.toEpochMilli();
            case "rfc2822" -> RFC2822.format(t);
            case "rfc3339" -> String.format(Locale.ROOT, "%04d-%02d-%02dT%02d:%02d:%02d%s+00:00", t.getYear(),
                    t.getMonthValue(), t.getDayOfMonth(), t.getHour(), t.getMinute(), t.getSecond(), fraction(t.getNano()));
            case "elapsed" -> new LuaTimeDelta(Duration.between(instant, Instant.now()));
            case "format" -> LuaObject.method(this, a -> Strftime.format(t,
                    dev.sluice.policy.kumo.LuaArgs.string(a, 0, "Time:format")));
            default -> null;
        };
    }

    @Override
    public Object operator(String op, Object left, Object right) {
        if (op.equals("add")) {
            if (left instanceof LuaTime t && right instanceof LuaTimeDelta d) {
                return new LuaTime(t.instant.plus(d.duration()));
            }
            if (left instanceof LuaTimeDelta d && right instanceof LuaTime t) {
                return new LuaTime(t.instant.plus(d.duration()));
            }
        } else if (op.equals("sub") && left instanceof LuaTime t) {
            if (right instanceof LuaTimeDelta d) {
                return new LuaTime(t.instant.minus(d.duration()));
            }
            if (right instanceof LuaTime other) {
                return new LuaTimeDelta(Duration.between(other.instant, t.instant));
            }
        } else if (left instanceof LuaTime a && right instanceof LuaTime b) {
            int c = a.instant.compareTo(b.instant);
            return switch (op) {
                case "eq" -> c == 0;
                case "lt" -> c < 0;
                default -> c <= 0;
            };
        } else if (op.equals("eq")) {
            return false;
        }
        throw new IllegalArgumentException("attempt to perform '" + op + "' on a Time and a "
                + dev.sluice.policy.kumo.LuaArgs.typeName(left instanceof LuaTime ? right : left));
    }
}
