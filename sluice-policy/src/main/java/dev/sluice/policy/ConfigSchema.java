package dev.sluice.policy;

import java.util.Set;

/**
 * The keys of one KumoMTA config table (e.g. the argument of {@code start_proxy_listener}).
 *
 * @param table     name used in messages, e.g. {@code start_proxy_listener}
 * @param supported keys Sluice acts on
 * @param ignored   the rest of KumoMTA's keys for this table: accepted, logged once as ignored
 *                  and listed by {@link IgnoredKeys#list()}
 */
public record ConfigSchema(String table, Set<String> supported, Set<String> ignored) {
    public ConfigSchema {
        supported = Set.copyOf(supported);
        ignored = Set.copyOf(ignored);
        for (String key : ignored) {
            if (supported.contains(key)) {
                throw new IllegalArgumentException(table + ": key '" + key + "' is both supported and ignored");
            }
        }
    }

    public static ConfigSchema of(String table, Set<String> supported, Set<String> ignored) {
        return new ConfigSchema(table, supported, ignored);
    }

    public boolean knows(String key) {
        return supported.contains(key) || ignored.contains(key);
    }
}
