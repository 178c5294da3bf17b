package dev.sluice.policy.kumo.http;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.ConfigSchema;
import dev.sluice.policy.ConfigTable;
import java.time.Duration;
import java.util.Set;

/**
 * The table of {@code kumo.http.build_client{...}}.
 *
 * @param userAgent          {@code User-Agent} of every request that sets none, or null for none
 * @param verbose            {@code connection_verbose}: each connect, reuse and close logged at INFO
 * @param poolIdleTimeout    how long an idle connection stays in the pool (default 90 s)
 * @param timeout            default bound on one request, connect to last byte (default 60 s)
 * @param acceptInvalidCerts skip certificate and host name checks for https (tests only)
 */
public record HttpClientOptions(String userAgent, boolean verbose, Duration poolIdleTimeout, Duration timeout,
                                boolean acceptInvalidCerts) {
    public static final Duration DEFAULT_POOL_IDLE_TIMEOUT = Duration.ofSeconds(90);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    public static final HttpClientOptions DEFAULT = new HttpClientOptions(null, false, DEFAULT_POOL_IDLE_TIMEOUT,
            DEFAULT_TIMEOUT, false);

    static final ConfigSchema SCHEMA = ConfigSchema.of("kumo.http.build_client",
            Set.of("user_agent", "connection_verbose", "pool_idle_timeout", "timeout", "accept_invalid_certs"), Set.of());

    public HttpClientOptions {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new ConfigException("kumo.http.build_client: timeout must be more than 0");
        }
        if (poolIdleTimeout.isNegative()) {
            throw new ConfigException("kumo.http.build_client: pool_idle_timeout must not be negative");
        }
    }

    /** Validates the Lua table (nil counts as empty); errors name the key. */
    public static HttpClientOptions parse(Object luaTable) {
        ConfigTable t = ConfigTable.of(SCHEMA, luaTable);
        return new HttpClientOptions(t.string("user_agent", null), t.bool("connection_verbose", false),
                t.duration("pool_idle_timeout", DEFAULT_POOL_IDLE_TIMEOUT), t.duration("timeout", DEFAULT_TIMEOUT),
                t.bool("accept_invalid_certs", false));
    }
}
