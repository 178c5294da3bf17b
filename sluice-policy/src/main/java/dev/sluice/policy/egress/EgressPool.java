package dev.sluice.policy.egress;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.ConfigSchema;
import dev.sluice.policy.ConfigTable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * An egress pool ({@code kumo.make_egress_pool{...}} / {@code kumo.define_egress_pool{...}}): the sources
 * a queue may send from, picked by {@link WeightedRoundRobin}.
 */
public record EgressPool(String name, List<Entry> entries, Duration ttl) {
    public static final String UNSPECIFIED = "unspecified";
    static final Set<String> KEYS = Set.of("name", "entries", "ttl");
    static final Set<String> ENTRY_KEYS = Set.of("name", "weight");

    /** A pool member; weight 0 excludes it from selection. */
    public record Entry(String name, long weight) {
        public Entry {
            Objects.requireNonNull(name, "name");
            if (weight < 0 || weight > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException("weight " + weight + " is out of range (0-4294967295)");
            }
        }
    }

    public EgressPool {
        Objects.requireNonNull(name, "name");
        entries = List.copyOf(entries);
        Objects.requireNonNull(ttl, "ttl");
    }

    /** The built-in pool {@code unspecified}: the single source {@code unspecified}. */
    public static EgressPool unspecified() {
        return new EgressPool(UNSPECIFIED, List.of(new Entry(EgressSource.UNSPECIFIED, 1)), EgressSource.DEFAULT_TTL);
    }

    /** Parses {@code {name = 'pool', entries = {{name = 'ip-1', weight = 5}, ...}, ttl = '1m'}}. */
    public static EgressPool parse(String table, Object luaValue) {
        ConfigTable t = ConfigTable.of(ConfigSchema.of(table, KEYS, Set.of()), luaValue);
        String name = t.requireString("name");
        Object raw = t.raw("entries");
        List<?> items = switch (raw) {
            case null -> List.of();
            case Map<?, ?> m when m.isEmpty() -> List.of();
            case List<?> l -> l;
            default -> throw new ConfigException(table + ": key 'entries' must be a list of {name = 'source', weight = N}");
        };
        List<Entry> entries = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            ConfigTable e = ConfigTable.of(ConfigSchema.of(table + ".entries[" + (i + 1) + "]", ENTRY_KEYS, Set.of()),
                    items.get(i));
            long weight = e.has("weight") ? weight(e) : 1;
            entries.add(new Entry(e.requireString("name"), weight));
        }
        return new EgressPool(name, entries, t.duration("ttl", EgressSource.DEFAULT_TTL));
    }

    private static long weight(ConfigTable e) {
        Object w = e.raw("weight");
        if (!(w instanceof Long n) || n < 0 || n > 0xFFFF_FFFFL) {
            throw new ConfigException(e.name() + ": key 'weight' must be an integer from 0 to 4294967295, got " + w);
        }
        return n;
    }
}
