package dev.sluice.egress.shaping;

import dev.sluice.policy.ConfigException;
import java.util.List;

/** How a loader finding is reported: dropped, listed by {@code get_warnings()}, or by {@code get_errors()}. */
public enum CheckLevel {
    Ignore, Warn, Error;

    static CheckLevel parse(String option, Object value) {
        for (CheckLevel l : values()) {
            if (l.name().equals(value)) return l;
        }
        throw new ConfigException("kumo.shaping.load: option '" + option + "': expected one of "
                + List.of(values()) + ", got " + value);
    }
}
