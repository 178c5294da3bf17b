package dev.sluice.policy.throttle;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.egress.ThrottleSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The throttle engine of one policy: {@code kumo.make_throttle}'s throttles, the path config's rates and the
 * connection limits. Node-local (GCRA in memory) until {@code kumo.configure_redis_throttles} names a Redis and
 * {@link #start} connects to it; from then on every throttle and limit not marked {@code local:} is decided in Redis
 * ({@link RedisThrottles}), so every node of a fleet, KumoMTA's too, counts against the same limit.
 *
 * <p>Redis unreachable (down at start, dropped, a command failing or timing out): each decision is made on this node
 * against its share of the limit, {@code 1/N} of the rate (burst {@code burst/N}, at least 1) and
 * {@code max(1, limit/N)} connections, where N is the number of nodes that announced themselves in Redis
 * ({@code sluice.throttle.nodes}, a sorted set every node refreshes every 10 s) within the 30 s before Redis went
 * away (1 when it never answered). One warning per outage, the {@code throttle_redis_fallback_count} counter per
 * local decision, the {@code throttle_redis_up} gauge; Redis is tried again after {@link #RETRY} and shared mode
 * resumes with its first answer. KumoMTA instead fails the operation (an error for the message or the connection
 * attempt, retried later), which stops a fleet's deliveries for as long as Redis is away.
 */
public final class Throttles implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Throttles.class);
    /** How long after a failure Redis is tried again. */
    static final Duration RETRY = Duration.ofSeconds(1);
    static final String NODES_KEY = "sluice.throttle.nodes";
    private static final Duration HEARTBEAT = Duration.ofSeconds(10);
    private static final Duration NODE_TTL = Duration.ofSeconds(30);

    /** What the engine reports: for metrics. */
    public interface Observer {
        Observer NONE = new Observer() {
            @Override
            public void shared(boolean up) {}

            @Override
            public void fallback() {}
        };

        /** Redis answers again (true) or stopped answering (false). */
        void shared(boolean up);

        /** One decision made on this node's share because Redis is away. */
        void fallback();
    }

    private final Gcra local = new Gcra();
    private final Map<String, Integer> localLeases = new ConcurrentHashMap<>();
    private final Map<String, Permits> permits = new ConcurrentHashMap<>();
    private final String nodeId = UUID.randomUUID().toString();
    private volatile RedisConfig config;
    private volatile RedisThrottles redis;
    private volatile boolean down;
    private volatile long retryAt;
    private volatile int fleet = 1;
    private volatile Observer observer = Observer.NONE;
    private final Map<RedisConfig, RedisConnection> opened = new ConcurrentHashMap<>();
    private ScheduledExecutorService timers;
    private boolean closed;

    /** {@code kumo.redis.open}: one shared connection per configuration, closed with the policy. */
    public RedisConnection open(RedisConfig config) {
        synchronized (opened) {
            if (closed) throw new IllegalStateException("the policy is closed");
            return opened.computeIfAbsent(config, RedisConnection::open);
        }
    }

    /** {@code kumo.configure_redis_throttles}: remembered until {@link #start}. */
    public synchronized void configure(RedisConfig config) {
        if (this.config != null) {
            throw new ConfigException("kumo.configure_redis_throttles: Redis throttles are already configured ("
                    + String.join(", ", this.config.nodes()) + ")");
        }
        this.config = config;
    }

    /** The Redis configured, or null. */
    public RedisConfig config() {
        return config;
    }

    public void observe(Observer observer) {
        this.observer = observer;
    }

    /**
     * Connects to the configured Redis (nothing to do without one). A Redis that does not answer is no error: the
     * node starts on its local share and keeps trying every second.
     */
    public synchronized void start() {
        if (config == null || timers != null || closed) return;
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> Thread.ofPlatform()
                .name("sluice-throttles").daemon().unstarted(r));
        t.setRemoveOnCancelPolicy(true);
        timers = t;
        connect();
    }

    /** Whether throttles and limits not marked {@code local:} are shared (Redis configured and the engine started). */
    public boolean sharing() {
        return config != null && timers != null;
    }

    private void connect() {
        try {
            RedisConnection c = RedisConnection.open(config);
            redis = RedisThrottles.on(c).get(config.responseTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
            LOG.info("throttles and connection limits are shared through Redis at {} ({})", String.join(", ", config.nodes()),
                    redis.hasRedisCell() ? "redis-cell CL.THROTTLE" : "GCRA script");
            up();
            heartbeat();
            timers.scheduleWithFixedDelay(this::heartbeat, HEARTBEAT.toMillis(), HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            failed(e);
            synchronized (this) {
                if (!closed) timers.schedule(this::connect, RETRY.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
    }

    private void heartbeat() {
        RedisThrottles r = redis;
        if (r == null) return;
        long now = System.currentTimeMillis();
        RedisConnection c = r.connection();
        c.command("ZADD", List.of(NODES_KEY, (now + NODE_TTL.toMillis()) / 1000.0, nodeId))
                .thenCompose(x -> c.command("ZREMRANGEBYSCORE", List.of(NODES_KEY, "-inf", "(" + now / 1000.0)))
                .thenCompose(x -> c.command("ZCARD", List.of(NODES_KEY)))
                .whenComplete((n, e) -> {
                    if (e == null && n instanceof Long count) fleet = (int) Math.max(1, count);
                });
    }

    /** The nodes sharing limits as last seen in Redis (1 before it answered). */
    public int fleetSize() {
        return fleet;
    }

    /** Whether Redis is reachable now as far as the last command knew (false before it answered). */
    public boolean redisUp() {
        return redis != null && !down;
    }

    /** KumoMTA's key of a throttle: {@code <name>:<limit>:<max_burst>:<period seconds>}. */
    public static String key(String name, ThrottleSpec spec) {
        return name + ":" + spec.limit() + ":" + spec.burst() + ":" + spec.periodSeconds();
    }

    /** The rate gate of {@code name} under {@code spec}, for the dispatcher (one per name and spec). */
    public Permits permits(String name, ThrottleSpec spec) {
        return permits.computeIfAbsent(key(name, spec) + (spec.local() ? ":local" : ""), k -> new Permits(this, name, spec));
    }

    /**
     * Drops a rate gate nobody uses any more (a reaped ready queue's): the next {@link #permits} for its name makes a
     * new one. Its node-local state goes only once it is back at full burst, where it is the same as absent.
     */
    public void forget(Permits gate) {
        permits.values().remove(gate);
        forget(gate.name(), gate.spec());
    }

    /** Forgets the node-local state of the throttle {@code name} under {@code spec} once it is back at full burst. */
    public void forget(String name, ThrottleSpec spec) {
        long now = System.nanoTime();
        local.forgetIfFull(key(name, spec), now);
        local.forgetIfFull("share:" + key(name, spec), now);
    }

    /** Rate gates held now (for tests and status). */
    public int gateCount() {
        return permits.size();
    }

    /** Whether a check of {@code spec} goes to Redis now (else it is decided here, at once). */
    boolean decidesRemotely(ThrottleSpec spec) {
        return !spec.local() && redis != null && (!down || System.nanoTime() - retryAt >= 0);
    }

    /** A decision made on this node: the whole limit when it is local or not shared, else this node's share. */
    ThrottleResult throttleHere(String name, ThrottleSpec spec) {
        String key = key(name, spec);
        if (spec.local() || !sharing()) {
            return local.throttle(key, spec, 1, 1, System.nanoTime());
        }
        observer.fallback();
        return local.throttle("share:" + key, spec, 1, fleet, System.nanoTime());
    }

    /** One operation under {@code name}: decided in Redis when shared and reachable, else here. Never fails. */
    public CompletableFuture<ThrottleResult> throttleAsync(String name, ThrottleSpec spec) {
        RedisThrottles r = redis;
        if (!decidesRemotely(spec)) {
            return CompletableFuture.completedFuture(throttleHere(name, spec));
        }
        return r.throttle(key(name, spec), spec, 1).handle((result, error) -> {
            if (error == null) {
                up();
                return result;
            }
            failed(error);
            return throttleHere(name, spec);
        });
    }

    /** {@link #throttleAsync}, waiting for the answer (bounded by Redis' response_timeout). */
    public ThrottleResult throttle(String name, ThrottleSpec spec) {
        return throttleAsync(name, spec).join();
    }

    /**
     * A place under the connection limit {@code name} of {@code limit} connections, shared through Redis (call only
     * while {@link #sharing}); while Redis is away, under this node's share of it.
     */
    public CompletableFuture<LeaseAttempt> lease(String name, long limit) {
        RedisThrottles r = redis;
        if (r == null || (down && System.nanoTime() - retryAt < 0)) {
            return CompletableFuture.completedFuture(localLease(name, limit));
        }
        String id = UUID.randomUUID().toString();
        Duration duration = config.leaseDuration();
        return r.lease(name, id, limit, duration).handle((wait, error) -> {
            if (error != null) {
                failed(error);
                return localLease(name, limit);
            }
            up();
            if (wait != 0) return new LeaseAttempt.Full(Duration.ofMillis(wait));
            Lease lease = new Lease(this, name, id, limit, r);
            long every = Math.max(100, duration.toMillis() / 3);
            synchronized (this) {
                if (!closed) {
                    lease.renewal = timers.scheduleWithFixedDelay(() -> renew(lease, duration), every, every, TimeUnit.MILLISECONDS);
                }
            }
            return new LeaseAttempt.Granted(lease);
        });
    }

    private LeaseAttempt localLease(String name, long limit) {
        observer.fallback();
        long share = Math.max(1, limit / fleet);
        boolean[] granted = new boolean[1];
        localLeases.compute(name, (k, n) -> {
            int open = n == null ? 0 : n;
            granted[0] = open < share;
            return granted[0] ? open + 1 : open;
        });
        return granted[0] ? new LeaseAttempt.Granted(new Lease(this, name, "", limit, null))
                : new LeaseAttempt.Full(RETRY);
    }

    private void renew(Lease lease, Duration duration) {
        if (lease.isReleased()) return;
        lease.redis.lease(lease.name, lease.id, lease.limit, duration).whenComplete((wait, error) -> {
            if (error != null) {
                failed(error); // kept: Redis is away, and the lease is counted again once a renewal reaches it
            } else if (wait != 0) {
                lease.markLost(); // Redis forgot it (restarted empty) and others filled the limit meanwhile
            } else {
                up();
            }
        });
    }

    void release(Lease lease) {
        var renewal = lease.renewal;
        if (renewal != null) renewal.cancel(false);
        if (lease.redis == null) {
            localLeases.computeIfPresent(lease.name, (k, n) -> n <= 1 ? null : n - 1);
            return;
        }
        lease.redis.release(lease.name, lease.id).exceptionally(e -> null); // else it expires
    }

    private void up() {
        if (down) {
            down = false;
            LOG.warn("Redis at {} answers again: throttles and connection limits are shared again",
                    String.join(", ", config.nodes()));
        }
        observer.shared(true);
    }

    private void failed(Throwable error) {
        retryAt = System.nanoTime() + RETRY.toNanos();
        if (!down) {
            down = true;
            Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                    ? error.getCause() : error;
            LOG.warn("Redis at {} is unreachable ({}): each throttle and connection limit now applies this node's share "
                    + "(1/{} of it) until Redis answers again", String.join(", ", config.nodes()), cause.toString(), fleet);
            observer.shared(false);
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (timers != null) timers.shutdownNow();
        RedisThrottles r = redis;
        if (r != null) r.connection().close();
        synchronized (opened) {
            opened.values().forEach(RedisConnection::close);
            opened.clear();
        }
    }
}
