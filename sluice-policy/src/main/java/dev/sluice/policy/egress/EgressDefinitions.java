package dev.sluice.policy.egress;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Sources and pools registered statically by the legacy {@code kumo.define_egress_source{...}} and
 * {@code kumo.define_egress_pool{...}} (called in {@code init}). Shared by every Lua state; a later
 * definition of the same name replaces the earlier one. Thread-safe.
 */
public final class EgressDefinitions {
    private final Map<String, EgressSource> sources = new LinkedHashMap<>();
    private final Map<String, EgressPool> pools = new LinkedHashMap<>();

    public synchronized void define(EgressSource source) {
        sources.put(source.name(), source);
    }

    public synchronized void define(EgressPool pool) {
        pools.put(pool.name(), pool);
    }

    public synchronized Optional<EgressSource> source(String name) {
        return Optional.ofNullable(sources.get(name));
    }

    public synchronized Optional<EgressPool> pool(String name) {
        return Optional.ofNullable(pools.get(name));
    }

    /** Every defined source, in definition order. */
    public synchronized List<EgressSource> sources() {
        return List.copyOf(new ArrayList<>(sources.values()));
    }

    /** Every defined pool, in definition order. */
    public synchronized List<EgressPool> pools() {
        return List.copyOf(new ArrayList<>(pools.values()));
    }
}
