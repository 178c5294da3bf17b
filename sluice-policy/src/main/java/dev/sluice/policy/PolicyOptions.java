package dev.sluice.policy;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How to load a policy.
 *
 * @param file        the policy file; error messages name it exactly as given here
 * @param poolSize    number of Lua states, each running the file's top-level code; 0 means the default
 *                    ({@link #defaultPoolSize()})
 * @param modules     extra Lua functions and modules installed in every state before the file runs
 * @param registry    where {@code lua_count}, {@code lua_event_started}, {@code lua_event_latency} and
 *                    {@code lua_event_timeout} are registered; null for a private registry. One live Policy per
 *                    registry.
 * @param callTimeout how long one policy call (an event, the file's top-level code) may run; null means
 *                    {@link #DEFAULT_CALL_TIMEOUT}. See {@link Policy} for what happens past it.
 */
public record PolicyOptions(Path file, int poolSize, List<LuaModule> modules, PrometheusRegistry registry,
                            Duration callTimeout) {
    /** Five seconds: far above any sane handler (they take milliseconds), short enough for an SMTP client. */
    public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(5);

    public PolicyOptions {
        Objects.requireNonNull(file, "file");
        if (poolSize < 0) {
            throw new IllegalArgumentException("poolSize must be >= 0, got " + poolSize);
        }
        modules = modules == null ? List.of() : List.copyOf(modules);
        callTimeout = callTimeout == null ? DEFAULT_CALL_TIMEOUT : callTimeout;
        if (callTimeout.isNegative() || callTimeout.isZero()) {
            throw new IllegalArgumentException("callTimeout must be positive, got " + callTimeout);
        }
    }

    /** With the default call timeout. */
    public PolicyOptions(Path file, int poolSize, List<LuaModule> modules, PrometheusRegistry registry) {
        this(file, poolSize, modules, registry, null);
    }

    public static PolicyOptions of(Path file) {
        return new PolicyOptions(file, 0, List.of(), null);
    }

    public PolicyOptions withCallTimeout(Duration timeout) {
        return new PolicyOptions(file, poolSize, modules, registry, timeout);
    }

    /** max(2, number of cores). */
    public static int defaultPoolSize() {
        return Math.max(2, Runtime.getRuntime().availableProcessors());
    }

    int effectivePoolSize() {
        return poolSize == 0 ? defaultPoolSize() : poolSize;
    }
}
