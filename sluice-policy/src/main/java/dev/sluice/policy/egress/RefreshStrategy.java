package dev.sluice.policy.egress;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.ConfigTable;

/**
 * {@code refresh_strategy} of {@code make_queue_config} and {@code make_egress_path}: when the cached config is
 * fetched from the policy again.
 */
public enum RefreshStrategy {
    /** After its {@code refresh_interval} (the default). */
    Ttl,
    /** When the policy's config epoch moves ({@link dev.sluice.policy.ConfigEpoch}), and not before. */
    Epoch;

    static RefreshStrategy parse(ConfigTable t) {
        String text = t.string("refresh_strategy", null);
        if (text == null) {
            return Ttl;
        }
        for (RefreshStrategy s : values()) {
            if (s.name().equals(text)) {
                return s;
            }
        }
        throw new ConfigException(t.name() + ": key 'refresh_strategy': unknown value '" + text
                + "', expected 'Ttl' or 'Epoch'");
    }
}
