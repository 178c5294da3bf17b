package dev.sluice.policy;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * How to load a policy.
 *
 * @param file     the policy file; error messages name it exactly as given here
 * @param poolSize number of Lua states, each running the file's top-level code; 0 means the default
 *                 ({@link #defaultPoolSize()})
 * @param modules  extra Lua functions and modules installed in every state before the file runs
 * @param registry where {@code lua_count}, {@code lua_event_started} and {@code lua_event_latency} are
 *                 registered; null for a private registry. One live Policy per registry.
 */
public record PolicyOptions(Path file, int poolSize, List<LuaModule> modules, PrometheusRegistry registry) {
    public PolicyOptions {
        Objects.requireNonNull(file, "file");
        if (poolSize < 0) {
            throw new IllegalArgumentException("poolSize must be >= 0, got " + poolSize);
        }
        modules = modules == null ? List.of() : List.copyOf(modules);
    }

    public static PolicyOptions of(Path file) {
        return new PolicyOptions(file, 0, List.of(), null);
    }

    /** max(2, number of cores). */
    public static int defaultPoolSize() {
        return Math.max(2, Runtime.getRuntime().availableProcessors());
    }

    int effectivePoolSize() {
        return poolSize == 0 ? defaultPoolSize() : poolSize;
    }
}
