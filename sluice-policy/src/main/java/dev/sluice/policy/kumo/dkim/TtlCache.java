package dev.sluice.policy.kumo.dkim;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A small thread-safe cache: at most {@code capacity} entries (the least recently used one goes first), each
 * kept for the ttl it was stored with. A miss computes the value outside the lock, so two threads missing the
 * same key at once may both compute it (the later one is kept); that costs a second key load, never a wrong value.
 */
final class TtlCache<K, V> {
    private record Slot<V>(V value, long expiresAt) {}

    private final int capacity;
    private final LongSupplier nanos;
    private final LinkedHashMap<K, Slot<V>> entries;

    TtlCache(int capacity, LongSupplier nanos) {
        this.capacity = capacity;
        this.nanos = nanos;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, Slot<V>> eldest) {
                return size() > TtlCache.this.capacity;
            }
        };
    }

    /** The cached value for {@code key}, or a new one from {@code make}, kept for {@code ttl}. */
    V get(K key, Duration ttl, Supplier<V> make) {
        long now = nanos.getAsLong();
        synchronized (entries) {
            Slot<V> e = entries.get(key);
            if (e != null && now - e.expiresAt() < 0) {
                return e.value();
            }
        }
        V value = make.get();
        synchronized (entries) {
            entries.put(key, new Slot<>(value, now + nanosOf(ttl)));
        }
        return value;
    }

    /** The ttl in nanoseconds, at most about 73 years (so that adding it to the clock cannot overflow). */
    private static long nanosOf(Duration ttl) {
        return ttl.compareTo(Duration.ofDays(365L * 73)) > 0 ? Duration.ofDays(365L * 73).toNanos() : Math.max(0, ttl.toNanos());
    }

    int size() {
        synchronized (entries) {
            return entries.size();
        }
    }
}
