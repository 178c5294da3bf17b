package dev.sluice.egress.dns;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Holds the resolver in use: the system's until the policy configures another
 * ({@code kumo.dns.configure_resolver}, {@code kumo.dns.configure_test_resolver}). Connections ask it on
 * every use, so a replacement applies to the next lookup; the replaced resolver is closed. It also holds the
 * named resolvers of {@code kumo.dns.define_resolver}, which only the policy's lookups use.
 */
public final class Resolvers implements Supplier<Resolver>, AutoCloseable {
    private final Supplier<Resolver> fallback;
    private volatile Resolver current;
    private Resolver createdFallback;
    private final Map<String, Resolver> named = new ConcurrentHashMap<>();

    /** Starts with a {@link SystemResolver}, created on first use. */
    public Resolvers() {
        this(SystemResolver::new);
    }

    public Resolvers(Supplier<Resolver> fallback) {
        this.fallback = Objects.requireNonNull(fallback, "fallback");
    }

    @Override
    public Resolver get() {
        Resolver r = current;
        if (r != null) return r;
        synchronized (this) {
            if (current == null) {
                createdFallback = fallback.get();
                current = createdFallback;
            }
            return current;
        }
    }

    /** Replaces the resolver; the previous one is closed. */
    public void set(Resolver resolver) {
        Objects.requireNonNull(resolver, "resolver");
        Resolver previous;
        synchronized (this) {
            previous = current;
            current = resolver;
        }
        if (previous != null && previous != resolver) previous.close();
    }

    /** Defines (or replaces, closing the old one) the resolver called {@code name}. */
    public void define(String name, Resolver resolver) {
        Objects.requireNonNull(resolver, "resolver");
        Resolver previous = named.put(name, resolver);
        if (previous != null && previous != resolver) previous.close();
    }

    /** The resolver {@link #define}d as {@code name}. */
    public Optional<Resolver> named(String name) {
        return Optional.ofNullable(named.get(name));
    }

    /** True once the policy (or anyone) replaced the default. */
    public synchronized boolean configured() {
        return current != null && current != createdFallback;
    }

    @Override
    public synchronized void close() {
        if (current != null) current.close();
        current = null;
        named.values().forEach(Resolver::close);
        named.clear();
    }
}
