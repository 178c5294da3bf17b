package dev.sluice.policy.kumo.memoize;

/** Where memoize caches count their lookups: KumoMTA's {@code memoize_cache_*_count{cache_name}} counters. */
@FunctionalInterface
public interface MemoizeMetrics {
    /** What happened in a cache. */
    enum Event {
        /** a call of the memoized function looked its arguments up */
        LOOKUP,
        /** the value was there */
        HIT,
        /** it was not (the caller or another state computes it) */
        MISS,
        /** a computed value was stored */
        POPULATED
    }

    void count(Event event, String cache);
}
