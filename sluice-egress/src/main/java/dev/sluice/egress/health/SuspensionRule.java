package dev.sluice.egress.health;

import java.time.Duration;
import java.util.Objects;

/**
 * A {@code suspend_when_unplumbed} / {@code suspend_when_proxy_unhealthy} rule: when {@code trigger}
 * fires, the source is suspended for {@code duration}.
 */
public record SuspensionRule(Trigger trigger, Duration duration) {
    public SuspensionRule {
        trigger = trigger == null ? new Trigger.Immediate() : trigger;
        Objects.requireNonNull(duration, "duration");
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("suspension duration must be positive: " + duration);
        }
    }

    /** Suspend on the first matching failure. */
    public static SuspensionRule immediate(Duration duration) {
        return new SuspensionRule(new Trigger.Immediate(), duration);
    }

    /** Suspend once {@code count} matching failures fall within {@code period}. */
    public static SuspensionRule threshold(int count, Duration period, Duration duration) {
        return new SuspensionRule(new Trigger.Threshold(count, period), duration);
    }

    public sealed interface Trigger {
        /** KumoMTA's default: the first matching failure fires. */
        record Immediate() implements Trigger {}

        /** {@code { Threshold = "N/period" }}: N or more matching failures within the rolling period. */
        record Threshold(int count, Duration period) implements Trigger {
            /** Parses KumoMTA's "N/period", e.g. "5/10m" or "3/1h" (period as {@code Durations.parse} reads it). */
            public static Threshold parse(String spec) {
                int slash = spec == null ? -1 : spec.indexOf('/');
                if (slash <= 0) throw new IllegalArgumentException("threshold '" + spec + "' is not N/period");
                int n;
                try {
                    n = Integer.parseInt(spec.substring(0, slash).strip());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("threshold '" + spec + "': '" + spec.substring(0, slash) + "' is not a number");
                }
                String period = spec.substring(slash + 1).strip();
                // "N/h" means one hour, as in KumoMTA's rate specs
                Duration d = dev.sluice.policy.Durations.parse(period.chars().allMatch(Character::isLetter) ? "1" + period : period);
                return new Threshold(n, d);
            }

            public Threshold {
                if (count < 1) throw new IllegalArgumentException("threshold count must be >= 1: " + count);
                Objects.requireNonNull(period, "period");
                if (period.isNegative() || period.isZero()) {
                    throw new IllegalArgumentException("threshold period must be positive: " + period);
                }
            }
        }
    }
}
