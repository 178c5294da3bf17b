package dev.sluice.mta.dispatch;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The named connection limits of egress paths ({@code additional_connection_limits}; the shaping helper's
 * provider-wide limits are such names) on one node: one counter per name, shared by every ready queue whose path
 * names it. (Their message rates, {@code additional_message_rate_throttles}, are {@code Permits} of the policy's
 * throttle engine; with Redis throttles the connection limits are leases there instead.) A queue that a connection limit holds back waits here and is woken when a
 * connection under that name closes. Guarded by this object's lock, which is taken inside a ready queue's lock
 * and never calls back into a queue.
 */
final class SharedLimits {
    private static final class Connections {
        int open;
        final Set<ReadyQueue> waiting = new LinkedHashSet<>();
    }

    private final Map<String, Connections> connections = new HashMap<>();

    /**
     * Counts one more connection under every name of {@code limits}, or none when any of them is full: then
     * {@code queue} is woken once one of those closes.
     *
     * @return the names counted (to release later), or null when a limit is full
     */
    synchronized List<String> tryOpen(Map<String, Integer> limits, ReadyQueue queue) {
        if (limits.isEmpty()) return List.of();
        boolean full = false;
        for (Map.Entry<String, Integer> l : limits.entrySet()) {
            Connections c = connections.computeIfAbsent(l.getKey(), k -> new Connections());
            if (c.open >= l.getValue()) {
                c.waiting.add(queue);
                full = true;
            }
        }
        if (full) return null;
        for (String name : limits.keySet()) connections.get(name).open++;
        return List.copyOf(limits.keySet());
    }

    /** A connection counted under {@code names} closed: the queues waiting for those names, to pump. */
    synchronized List<ReadyQueue> close(List<String> names) {
        List<ReadyQueue> wake = new ArrayList<>();
        for (String name : names) {
            Connections c = connections.get(name);
            if (c == null) continue;
            c.open = Math.max(0, c.open - 1);
            wake.addAll(c.waiting);
            c.waiting.clear();
        }
        return wake;
    }

    /** A reaped queue waits for no name any more; names with no connection and no waiting queue go. */
    synchronized void forget(ReadyQueue queue) {
        connections.values().removeIf(c -> {
            c.waiting.remove(queue);
            return c.open == 0 && c.waiting.isEmpty();
        });
    }

    /** Open connections counted under {@code name} (for tests and status). */
    synchronized int open(String name) {
        Connections c = connections.get(name);
        return c == null ? 0 : c.open;
    }
}
