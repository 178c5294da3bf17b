package dev.sluice.policy.egress;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A map whose entries expire after their own time to live; bounded by dropping expired, then arbitrary, entries. */
final class TtlCache<K, V> {
    private record Entry<V>(V value, Instant expires) {}

    private final Map<K, Entry<V>> map = new ConcurrentHashMap<>();
    private final InstantSource clock;
    private final int capacity;

    TtlCache(InstantSource clock, int capacity) {
        this.clock = clock;
        this.capacity = capacity;
    }

    V get(K key) {
        Entry<V> e = map.get(key);
        if (e == null) {
            return null;
        }
        if (!clock.instant().isBefore(e.expires)) {
            map.remove(key, e);
            return null;
        }
        return e.value;
    }

    void put(K key, V value, Duration ttl) {
        if (map.size() >= capacity) {
            evict();
        }
        map.put(key, new Entry<>(value, clock.instant().plus(ttl)));
    }

    private void evict() {
        Instant now = clock.instant();
        map.values().removeIf(e -> !now.isBefore(e.expires));
        Iterator<K> keys = map.keySet().iterator();
        while (map.size() >= capacity && keys.hasNext()) {
            keys.next();
            keys.remove();
        }
    }

    void clear() {
        map.clear();
    }
}
