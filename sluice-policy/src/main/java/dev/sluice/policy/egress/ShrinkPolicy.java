package dev.sluice.policy.egress;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.ConfigSchema;
import dev.sluice.policy.ConfigTable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code make_queue_config{shrink_policy = {{interval = '0 s', policy = 'ShrinkData'}, ...}}}: how much of a message
 * KumoMTA releases from memory when it enters a scheduled queue, by how long it has until it is due. Each entry whose
 * {@code interval} is at most the time until due selects its policy, in order, so the last such entry wins; without
 * one (or without the key) it is {@link Reduction#ShrinkDataAndMeta}.
 *
 * <p>Sluice validates the list and keeps it on the queue config ({@link #forDue}), but always releases data and meta
 * of a scheduled message ({@code ShrinkDataAndMeta}, the reference's default): its ingress has written both to the
 * spool before the 250, and a message in memory is its envelope, size and digest whatever this says. So
 * {@code ShrinkData} and {@code NoShrink} cost a spool read of meta or data when the message is due, never memory.
 *
 * @param entries in the order given
 */
public record ShrinkPolicy(List<Entry> entries) {
    /** KumoMTA's {@code MemoryReductionPolicy} names. */
    public enum Reduction { ShrinkDataAndMeta, ShrinkData, NoShrink }

    /** One element of the list. */
    public record Entry(Duration interval, Reduction policy) {}

    public static final ShrinkPolicy DEFAULT = new ShrinkPolicy(List.of());

    static final ConfigSchema ENTRY = ConfigSchema.of("shrink_policy entry", Set.of("interval", "policy"), Set.of());

    public ShrinkPolicy {
        entries = List.copyOf(entries);
    }

    /** The reduction KumoMTA would apply to a message due in {@code untilDue}. */
    public Reduction forDue(Duration untilDue) {
        Reduction chosen = Reduction.ShrinkDataAndMeta;
        for (Entry e : entries) {
            if (untilDue.compareTo(e.interval()) >= 0) {
                chosen = e.policy();
            }
        }
        return chosen;
    }

    /** The {@code shrink_policy} key of {@code queue}: absent is {@link #DEFAULT}. */
    static ShrinkPolicy parse(ConfigTable queue) {
        Object raw = queue.raw("shrink_policy");
        String where = queue.name() + ": key 'shrink_policy'";
        List<?> items = switch (raw) {
            case null -> List.of();
            case Map<?, ?> m when m.isEmpty() -> List.of(); // Lua's empty table
            case List<?> l -> l;
            default -> throw new ConfigException(where + ": expected a list of {interval = ..., policy = ...}");
        };
        List<Entry> entries = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            ConfigTable t;
            try {
                t = ConfigTable.of(ENTRY, items.get(i));
            } catch (ConfigException e) {
                throw new ConfigException(where + ": entry " + (i + 1) + ": " + e.getMessage());
            }
            String name = t.string("policy", null);
            if (name == null || !t.has("interval")) {
                throw new ConfigException(where + ": entry " + (i + 1) + " needs both interval and policy");
            }
            Reduction policy;
            try {
                policy = Reduction.valueOf(name);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(where + ": entry " + (i + 1) + ": unknown policy '" + name
                        + "' (ShrinkDataAndMeta, ShrinkData or NoShrink)");
            }
            entries.add(new Entry(t.duration("interval", Duration.ZERO), policy));
        }
        return new ShrinkPolicy(entries);
    }
}
