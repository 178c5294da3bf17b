package dev.sluice.policy;

import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * KumoMTA's configuration epoch, one per {@link Policy}: a number that moves on when the configuration may have
 * changed ({@code kumo.bump_config_epoch()}, or the config monitor seeing a watched file change). What caches
 * configuration compares the epoch it fetched at with {@link #current()}: memoize caches made with
 * {@code invalidate_with_epoch = true} start empty again, and queue and egress path configs whose
 * {@code refresh_strategy} is {@code 'Epoch'} are fetched again from the policy.
 *
 * <p>A reload of the policy file ({@link Policy#reload}) also moves the {@linkplain #generation() generation}: every
 * cache of configuration (every memoize cache, queue, path, source and pool configs whatever their refresh strategy)
 * compares the generation it was filled in with the current one, so that what the new code says applies to new work
 * at once. Thread-safe.
 */
public final class ConfigEpoch {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigEpoch.class);

    private final AtomicLong value = new AtomicLong();
    private final AtomicLong generation = new AtomicLong();
    private volatile java.util.function.LongConsumer observer = n -> { };

    /** The epoch now; 0 until the first bump. */
    public long current() {
        return value.get();
    }

    /** Moves the epoch on, logs {@code config epoch bumped to N: reason} and tells the observer; returns the new epoch. */
    public long bump(String reason) {
        long next = value.incrementAndGet();
        LOG.info("config epoch bumped to {}: {}", next, reason);
        observer.accept(next);
        return next;
    }

    /** How many times the policy file was reloaded; 0 for the file loaded at start. */
    public long generation() {
        return generation.get();
    }

    /**
     * The policy file was reloaded: moves the generation on (every cached config is stale), then the epoch
     * ({@link #bump}); returns the new epoch.
     */
    public long reloaded(String reason) {
        generation.incrementAndGet();
        return bump("policy reloaded (" + reason + ")");
    }

    /** Called with the new epoch after each bump (the policy's {@code config_epoch} gauge). */
    void observe(java.util.function.LongConsumer observer) {
        this.observer = observer;
    }
}
