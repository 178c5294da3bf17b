package dev.sluice.policy.kumo.time;

import dev.sluice.policy.LuaObject;
import java.time.Duration;

/**
 * KumoMTA's TimeDelta: fields {@code seconds} (float), {@code nanoseconds}, {@code microseconds},
 * {@code milliseconds} (integers), {@code human} ({@code 1h 30m}); {@code tostring} = human;
 * {@code +}, {@code -} and {@code ==} with another TimeDelta. May be negative.
 */
public record LuaTimeDelta(Duration duration) implements LuaObject {
    @Override
    public String typeName() {
        return "TimeDelta";
    }

    @Override
    public String display() {
        return human(duration);
    }

    @Override
    public Object index(Object key) {
        return switch (String.valueOf(key)) {
            case "seconds" -> duration.getSeconds() + duration.getNano() / 1e9;
            case "nanoseconds" -> duration.toNanos();
            case "microseconds" -> duration.toNanos() / 1_000;
            case "milliseconds" -> duration.toMillis();
            case "human" -> human(duration);
            default -> null;
        };
    }

    @Override
    public Object operator(String op, Object left, Object right) {
        if (!(left instanceof LuaTimeDelta a) || !(right instanceof LuaTimeDelta b)) {
            if (op.equals("eq")) {
                return false;
            }
            throw new IllegalArgumentException("attempt to perform '" + op + "' on a TimeDelta and a non-TimeDelta value");
        }
        return switch (op) {
            case "add" -> new LuaTimeDelta(a.duration.plus(b.duration));
            case "sub" -> new LuaTimeDelta(a.duration.minus(b.duration));
            case "eq" -> a.duration.equals(b.duration);
            case "lt" -> a.duration.compareTo(b.duration) < 0;
            default -> a.duration.compareTo(b.duration) <= 0;
        };
    }

    /** humantime's style: {@code 1h 30m}, {@code 10s}, {@code 1s 500ms}, {@code 0s}; a leading {@code -} when negative. */
    static String human(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        String sign = d.isNegative() ? "-" : "";
        Duration a = d.abs();
        long secs = a.getSeconds();
        long nanos = a.getNano();
        long[] values = new long[9];
        values[6] = nanos / 1_000_000;
        values[7] = (nanos / 1_000) % 1_000;
        values[8] = nanos % 1_000;
        String[] units = {"y", "M", "d", "h", "m", "s", "ms", "us", "ns"};
        // humantime splits years and months off the total seconds first, then days from what is left
        long rest = secs;
        long years = rest / 31_557_600;
        rest -= years * 31_557_600;
        long months = rest / 2_630_016;
        rest -= months * 2_630_016;
        values[0] = years;
        values[1] = months;
        values[2] = rest / 86_400;
        rest %= 86_400;
        values[3] = rest / 3600;
        values[4] = (rest % 3600) / 60;
        values[5] = rest % 60;
        StringBuilder out = new StringBuilder(sign);
        for (int i = 0; i < values.length; i++) {
            if (values[i] != 0) {
                if (out.length() > sign.length()) {
                    out.append(' ');
                }
                out.append(values[i]).append(units[i]);
            }
        }
        return out.toString();
    }
}
