package dev.sluice.policy.egress;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * LVS weighted round robin over a pool's entries, as KumoMTA's {@code EgressPoolRoundRobin}: one instance
 * per scheduled queue (its state is the queue's; make a new one when the pool changes). Entries of weight 0
 * never take part; suspended entries are skipped at each pick, the state being shared across picks.
 * Thread-safe.
 */
public final class WeightedRoundRobin {
    private final List<EgressPool.Entry> entries;
    private int index;
    private long currentWeight;

    public WeightedRoundRobin(List<EgressPool.Entry> entries) {
        this.entries = entries.stream().filter(e -> e.weight() > 0).toList();
    }

    public WeightedRoundRobin(EgressPool pool) {
        this(pool.entries());
    }

    /** Entries with a non-zero weight. */
    public int size() {
        return entries.size();
    }

    /**
     * The next source name, skipping those {@code suspended} says are suspended; empty when no entry is
     * eligible (none configured, all weight 0, or all suspended).
     */
    public synchronized Optional<String> next(Predicate<String> suspended) {
        List<EgressPool.Entry> eligible = new ArrayList<>(entries.size());
        for (EgressPool.Entry e : entries) {
            if (!suspended.test(e.name())) {
                eligible.add(e);
            }
        }
        if (eligible.isEmpty()) {
            return Optional.empty();
        }
        if (eligible.size() == 1) {
            return Optional.of(eligible.getFirst().name());
        }
        long max = 0;
        long gcd = 0;
        for (EgressPool.Entry e : eligible) {
            max = Math.max(max, e.weight());
            gcd = BigInteger.valueOf(gcd).gcd(BigInteger.valueOf(e.weight())).longValue();
        }
        // terminates: within one sweep cw reaches a value <= max, and the max-weight entry matches it
        while (true) {
            index = (index + 1) % eligible.size();
            if (index == 0) {
                currentWeight = Math.max(currentWeight - gcd, 0);
                if (currentWeight == 0) {
                    currentWeight = max;
                }
            }
            EgressPool.Entry e = eligible.get(index);
            if (e.weight() >= currentWeight) {
                return Optional.of(e.name());
            }
        }
    }

    /** {@link #next(Predicate)} with nothing suspended. */
    public Optional<String> next() {
        return next(name -> false);
    }
}
