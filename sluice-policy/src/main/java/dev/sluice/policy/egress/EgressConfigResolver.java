package dev.sluice.policy.egress;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * What the egress and MTA layers ask the policy: sources, pools, queue configs and paths, each from its
 * event ({@code get_egress_source}, {@code get_egress_pool}, {@code get_queue_config},
 * {@code get_egress_path_config}) and cached for the result's own {@code ttl} / {@code refresh_interval}; a queue
 * config or path whose {@code refresh_strategy} is {@code 'Epoch'} is kept instead until the policy's
 * {@linkplain Policy#configEpoch() config epoch} moves, then fetched again at its next use.
 *
 * <p>Sources and pools: the event's result wins; when the event returns nil (or has no handler), a legacy
 * {@code define_egress_*} definition is used; with neither, the lookup fails naming the source or pool. The
 * built-ins {@code unspecified} never call an event. Queue configs and paths fall back to the defaults.
 *
 * <p>A handler call that ran over the policy call timeout ({@link PolicyException#timedOut()}) is remembered for
 * {@link #TIMED_OUT_TTL} per event and subject: until then the same lookup fails at once with that error instead
 * of holding a Lua state for the whole timeout again, so a handler that loops for one domain costs one timeout
 * a minute, not one per message of that domain (the messages are deferred, other domains flow). Other failures
 * are not remembered.
 *
 * <p>Every method may run a Lua handler and so blocks: never call it on a Netty event loop. Thread-safe;
 * two threads missing the cache at once may both run the handler.
 */
public final class EgressConfigResolver {
    private static final int CAPACITY = 4096;
    /** How long a timed-out lookup fails at once without running its handler again. */
    public static final Duration TIMED_OUT_TTL = Duration.ofMinutes(1);

    private final Policy policy;
    private final EgressDefinitions definitions;
    private final TtlCache<String, Fetched<EgressSource>> sources;
    private final TtlCache<String, Fetched<EgressPool>> pools;
    /** The policy generation the caches were last emptied for ({@link dev.sluice.policy.ConfigEpoch#generation()}). */
    private final java.util.concurrent.atomic.AtomicLong generationSeen = new java.util.concurrent.atomic.AtomicLong();
    private final TtlCache<QueueKey, Fetched<QueueConfig>> queues;
    private final TtlCache<PathKey, Fetched<EgressPath>> paths;
    private final TtlCache<TimedOut, PolicyException> timedOut;

    private record QueueKey(String domain, String tenant, String campaign, String routingDomain) {}

    private record PathKey(String routingDomain, String source, String site) {}

    /**
     * A cached result, the config epoch it was fetched in and the policy generation its call started in (a result
     * of the code a reload replaced is never served after the reload).
     */
    private record Fetched<T>(T value, long epoch, long generation, RefreshStrategy strategy) {}

    /** How long an Epoch-refreshed config stays in the cache: until the epoch moves, in practice. */
    private static final Duration UNTIL_EPOCH = Duration.ofDays(3650);

    /** A lookup whose handler ran over the call timeout: {@code key} is the cache key of its result. */
    private record TimedOut(String event, Object key) {}

    public EgressConfigResolver(Policy policy, EgressDefinitions definitions) {
        this(policy, definitions, InstantSource.system());
    }

    /** @param clock decides expiry of cached results (tests pass a settable clock) */
    public EgressConfigResolver(Policy policy, EgressDefinitions definitions, InstantSource clock) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.definitions = Objects.requireNonNull(definitions, "definitions");
        this.sources = new TtlCache<>(clock, CAPACITY);
        this.pools = new TtlCache<>(clock, CAPACITY);
        this.queues = new TtlCache<>(clock, CAPACITY);
        this.paths = new TtlCache<>(clock, CAPACITY);
        this.timedOut = new TtlCache<>(clock, CAPACITY);
    }

    /**
     * The source called {@code name}.
     *
     * @throws PolicyException the handler failed or returned something else than a source, or nothing
     *                         defines {@code name}; the message names the source
     */
    public EgressSource source(String name) throws PolicyException {
        if (EgressSource.UNSPECIFIED.equals(name)) {
            return EgressSource.unspecified();
        }
        long generation = generation();
        EgressSource cached = current(sources.get(name), generation);
        if (cached != null) {
            return cached;
        }
        String event = "get_egress_source";
        EgressSource source = convert(event, name, call(event, name, name),
                EgressSource.class, v -> EgressSourceParser.parse("make_egress_source", v));
        if (source == null) {
            source = definitions.source(name).orElseThrow(() -> missing(event, "source", name,
                    "kumo.define_egress_source"));
        }
        sources.put(name, new Fetched<>(source, 0, generation, RefreshStrategy.Ttl), source.ttl());
        return source;
    }

    /**
     * The pool called {@code name}; every member source is resolved too, so a pool naming an unknown
     * source fails here.
     */
    public EgressPool pool(String name) throws PolicyException {
        if (EgressPool.UNSPECIFIED.equals(name)) {
            return EgressPool.unspecified();
        }
        long generation = generation();
        EgressPool cached = current(pools.get(name), generation);
        if (cached != null) {
            return cached;
        }
        String event = "get_egress_pool";
        EgressPool pool = convert(event, name, call(event, name, name),
                EgressPool.class, v -> EgressPool.parse("make_egress_pool", v));
        if (pool == null) {
            pool = definitions.pool(name).orElseThrow(() -> missing(event, "pool", name, "kumo.define_egress_pool"));
        }
        for (EgressPool.Entry entry : pool.entries()) {
            try {
                source(entry.name());
            } catch (PolicyException e) {
                throw new PolicyException(insertAfterLocation(e.getMessage(), "resolving egress pool '" + name + "': "),
                        e.event());
            }
        }
        pools.put(name, new Fetched<>(pool, 0, generation, RefreshStrategy.Ttl), pool.ttl());
        return pool;
    }

    /**
     * The config of the scheduled queue {@code campaign:tenant@domain!routing_domain} (any part but domain
     * may be null): the first non-nil result of the {@code get_queue_config} handlers, else the defaults.
     */
    public QueueConfig queueConfig(String domain, String tenant, String campaign, String routingDomain)
            throws PolicyException {
        QueueKey key = new QueueKey(domain, tenant, campaign, routingDomain);
        long generation = generation();
        QueueConfig cached = current(queues.get(key), generation);
        if (cached != null) {
            return cached;
        }
        long epoch = policy.configEpoch().current();
        String event = "get_queue_config";
        QueueConfig config = convert(event, domain, call(event, key, domain, tenant, campaign, routingDomain),
                QueueConfig.class, QueueConfig::parse);
        if (config == null) {
            config = QueueConfig.DEFAULT;
        }
        queues.put(key, new Fetched<>(config, epoch, generation, config.refreshStrategy()),
                lifetime(config.refreshStrategy(), config.refreshInterval()));
        return config;
    }

    /** The config of the path from {@code sourceName} to {@code siteName}: {@code get_egress_path_config}, else the defaults. */
    public EgressPath path(String routingDomain, String sourceName, String siteName) throws PolicyException {
        PathKey key = new PathKey(routingDomain, sourceName, siteName);
        long generation = generation();
        EgressPath cached = current(paths.get(key), generation);
        if (cached != null) {
            return cached;
        }
        long epoch = policy.configEpoch().current();
        String event = "get_egress_path_config";
        EgressPath path = convert(event, routingDomain, call(event, key, routingDomain, sourceName, siteName),
                EgressPath.class, EgressPath::parse);
        if (path == null) {
            path = EgressPath.DEFAULT;
        }
        paths.put(key, new Fetched<>(path, epoch, generation, path.refreshStrategy()),
                lifetime(path.refreshStrategy(), path.refreshInterval()));
        return path;
    }

    /**
     * The cached value, unless the policy was reloaded since its call started, or it is refreshed by epoch and the
     * epoch has moved since it was fetched.
     */
    private <T> T current(Fetched<T> fetched, long generation) {
        if (fetched == null || fetched.generation() != generation) {
            return null;
        }
        if (fetched.strategy() == RefreshStrategy.Epoch && fetched.epoch() != policy.configEpoch().current()) {
            return null;
        }
        return fetched.value();
    }

    private static Duration lifetime(RefreshStrategy strategy, Duration refreshInterval) {
        return strategy == RefreshStrategy.Epoch ? UNTIL_EPOCH : refreshInterval;
    }

    /**
     * The policy's generation now; the first lookup after a reload empties the caches (what the old code said, and
     * lookups that timed out in it, no longer count).
     */
    private long generation() {
        long now = policy.configEpoch().generation();
        long seen = generationSeen.get();
        if (seen != now && generationSeen.compareAndSet(seen, now)) {
            invalidateAll();
        }
        return now;
    }

    /** Forgets every cached result (e.g. after a policy reload). */
    public void invalidateAll() {
        sources.clear();
        pools.clear();
        queues.clear();
        paths.clear();
        timedOut.clear();
    }

    /** Runs {@code event}, unless it timed out for {@code key} within {@link #TIMED_OUT_TTL}: then fails at once. */
    private Object call(String event, Object key, Object... args) throws PolicyException {
        TimedOut failure = new TimedOut(event, key);
        PolicyException earlier = timedOut.get(failure);
        if (earlier != null) {
            throw PolicyException.timedOut(earlier.getMessage() + " (within the last "
                    + TIMED_OUT_TTL.toSeconds() + " s; not run again until then)", event);
        }
        try {
            return policy.call(event, args);
        } catch (PolicyException e) {
            if (e.timedOut()) {
                timedOut.put(failure, e, TIMED_OUT_TTL);
            }
            throw e;
        }
    }

    /**
     * The handler's result as a record: the record a {@code kumo.make_*} call returned, or a plain table
     * (parsed now, as KumoMTA accepts one too); null for nil.
     */
    private <T> T convert(String event, String subject, Object result, Class<T> type, Function<Object, T> parse)
            throws PolicyException {
        if (result == null) {
            return null;
        }
        if (type.isInstance(result)) {
            return type.cast(result);
        }
        String where = policy.file() + ": " + event + "('" + subject + "')";
        if (result instanceof Map<?, ?>) {
            try {
                return parse.apply(result);
            } catch (ConfigException e) {
                throw new PolicyException(where + ": " + e.getMessage(), event);
            }
        }
        throw new PolicyException(where + " returned " + describe(result) + ", expected the result of kumo."
                + makeFunction(type) + "{...}", event);
    }

    /** Puts {@code context} after the leading {@code file:} or {@code file:line:} so the CLI can still read it. */
    private String insertAfterLocation(String message, String context) {
        var m = java.util.regex.Pattern.compile("^" + java.util.regex.Pattern.quote(policy.file()) + "(:\\d+)?: ")
                .matcher(message);
        return m.find() ? m.group() + context + message.substring(m.end()) : context + message;
    }

    private PolicyException missing(String event, String what, String name, String legacy) {
        String reason = policy.hasHandler(event)
                ? event + " returned nil for egress " + what + " '" + name + "'"
                : "no egress " + what + " named '" + name + "': no " + event + " handler";
        return new PolicyException(policy.file() + ": " + reason + " and no " + legacy + " defined it", event);
    }

    private static String makeFunction(Class<?> type) {
        if (type == EgressSource.class) return "make_egress_source";
        if (type == EgressPool.class) return "make_egress_pool";
        if (type == QueueConfig.class) return "make_queue_config";
        return "make_egress_path";
    }

    private static String describe(Object value) {
        return switch (value) {
            case String s -> "a string '" + s + "'";
            case Number n -> "a number " + n;
            case Boolean b -> "a boolean";
            case java.util.List<?> l -> "a list";
            default -> "a " + value.getClass().getSimpleName();
        };
    }
}
