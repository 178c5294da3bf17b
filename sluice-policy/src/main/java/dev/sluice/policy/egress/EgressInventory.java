package dev.sluice.policy.egress;

import dev.sluice.policy.PolicyException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every source and pool a policy can be shown to use: those defined in {@code init}, those named by the pools
 * and queue configs of the given domains, and those asked for by name. What {@code sluice check} prints.
 * A failure resolving one name is kept as a problem and the rest still resolve, so one run shows all of them.
 */
public final class EgressInventory {
    private final Map<String, EgressSource> sources = new LinkedHashMap<>();
    private final Map<String, EgressPool> pools = new LinkedHashMap<>();
    private final Set<String> problems = new LinkedHashSet<>();

    private EgressInventory() {}

    public static EgressInventory collect(EgressConfigResolver resolver, EgressDefinitions definitions,
                                          List<String> domains, List<String> sourceNames) {
        var inventory = new EgressInventory();
        definitions.sources().forEach(s -> inventory.sources.put(s.name(), s));
        var poolNames = new LinkedHashSet<String>();
        definitions.pools().forEach(p -> poolNames.add(p.name()));
        for (String domain : domains) {
            try {
                poolNames.add(resolver.queueConfig(domain, null, null, null).poolName());
            } catch (PolicyException e) {
                inventory.problems.add(e.getMessage());
            }
        }
        for (String name : poolNames) {
            try {
                EgressPool pool = resolver.pool(name);
                inventory.pools.put(name, pool);
                for (EgressPool.Entry entry : pool.entries()) {
                    inventory.addSource(resolver, entry.name());
                }
            } catch (PolicyException e) {
                inventory.problems.add(e.getMessage());
            }
        }
        for (String name : sourceNames) {
            inventory.addSource(resolver, name);
        }
        return inventory;
    }

    private void addSource(EgressConfigResolver resolver, String name) {
        if (sources.containsKey(name)) {
            return;
        }
        try {
            sources.put(name, resolver.source(name));
        } catch (PolicyException e) {
            problems.add(e.getMessage());
        }
    }

    public List<EgressSource> sources() {
        return List.copyOf(sources.values());
    }

    public List<EgressPool> pools() {
        return List.copyOf(pools.values());
    }

    /** {@code file:line: reason} for each name that failed to resolve. */
    public List<String> problems() {
        return new ArrayList<>(problems);
    }
}
