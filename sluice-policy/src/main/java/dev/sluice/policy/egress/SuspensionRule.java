package dev.sluice.policy.egress;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.ConfigSchema;
import dev.sluice.policy.ConfigTable;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * {@code suspend_when_unplumbed} / {@code suspend_when_proxy_unhealthy}: when {@link #trigger} fires, the
 * source is suspended for {@link #duration}.
 */
public record SuspensionRule(Trigger trigger, Duration duration) {
    static final ConfigSchema SCHEMA = ConfigSchema.of("suspension rule", Set.of("trigger", "duration"), Set.of());

    /** When a matching failure suspends the source. */
    public sealed interface Trigger {}

    /** The first matching failure suspends (KumoMTA's default). */
    public record Immediate() implements Trigger {}

    /** {@code count} matching failures within {@code period}, e.g. {@code {Threshold = '5/1m'}}. */
    public record Threshold(long count, Duration period) implements Trigger {
        /** A fresh failure window for this trigger. */
        public ThresholdWindow newWindow() {
            return new ThresholdWindow(count, period);
        }
    }

    /** Suspend on the first matching failure. */
    public static SuspensionRule immediate(Duration duration) {
        return new SuspensionRule(new Immediate(), duration);
    }

    /** Suspend once {@code count} matching failures fall within {@code period}. */
    public static SuspensionRule threshold(long count, Duration period, Duration duration) {
        return new SuspensionRule(new Threshold(count, period), duration);
    }

    public SuspensionRule {
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("suspension duration must be positive");
        }
    }

    /** Parses {@code {trigger = 'Immediate' | {Threshold = 'N/period'}, duration = '5m'}} found at {@code table.key}. */
    static SuspensionRule parse(ConfigTable parent, String key) {
        ConfigTable t = parent.table(key, SCHEMA);
        if (!t.has("duration")) {
            throw new ConfigException(t.name() + ": missing required key 'duration'");
        }
        Duration duration = t.duration("duration", null);
        if (duration.isZero()) {
            throw new ConfigException(t.name() + ": key 'duration' must be positive");
        }
        return new SuspensionRule(trigger(t.name(), t.raw("trigger")), duration);
    }

    private static Trigger trigger(String where, Object raw) {
        if (raw == null || "Immediate".equals(raw)) {
            return new Immediate();
        }
        if (raw instanceof Map<?, ?> m && m.size() == 1 && m.get("Threshold") instanceof String spec) {
            try {
                ThrottleSpec t = ThrottleSpec.parse(spec);
                return new Threshold(t.limit(), t.period());
            } catch (IllegalArgumentException e) {
                throw new ConfigException(where + ": key 'trigger': " + e.getMessage());
            }
        }
        throw new ConfigException(where + ": key 'trigger' must be 'Immediate' or {Threshold = 'N/period'}, got "
                + (raw instanceof Map<?, ?> m ? "a table with keys " + m.keySet() : "'" + raw + "'"));
    }
}
