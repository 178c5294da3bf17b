package dev.sluice.policy.throttle;

import dev.sluice.policy.egress.ThrottleSpec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Throttles and connection leases kept in Redis, in KumoMTA's layout so that KumoMTA and Sluice nodes of one fleet
 * share them: a throttle is the key {@code <name>:<limit>:<max_burst>:<period seconds>} holding the theoretical
 * arrival time (seconds since the epoch, a decimal), moved by {@code CL.THROTTLE} when the server has redis-cell and
 * else by an atomic script of the same arithmetic as {@link Gcra}; a connection limit is a sorted set named by the
 * limit ({@code kumomta.connection_limit.<ready queue>}, or the name of an {@code additional_connection_limits}
 * entry) whose members are lease ids scored by their expiry (seconds since the epoch). The scripts are Sluice's own.
 */
final class RedisThrottles {
    /** GCRA over one stored arrival time; the server's clock (with microseconds) is the only clock used. */
    static final RedisConnection.Script GCRA = RedisConnection.Script.of("""
            -- KEYS[1]: the throttle; ARGV: limit, period (s), burst, quantity
            local limit, period = tonumber(ARGV[1]), tonumber(ARGV[2])
            local burst, quantity = tonumber(ARGV[3]), tonumber(ARGV[4])
            local clock = redis.call('TIME')
            local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
            local step = period / limit
            local tat = tonumber(redis.call('GET', KEYS[1]) or now) or now
            if tat < now then tat = now end
            local next_tat = tat + step * quantity
            local slack = now - (next_tat - step * burst)
            if slack < 0 then
              local left = math.floor((now - (tat - step * burst)) / step)
              if left < 0 then left = 0 end
              return { 1, left, math.ceil((tat - now) * 1000), math.ceil(-slack * 1000) }
            end
            local ttl = math.ceil(next_tat - now)
            if ttl < 1 then ttl = 1 end
            redis.call('SET', KEYS[1], string.format('%.6f', next_tat), 'EX', ttl)
            return { 0, math.floor(slack / step), math.ceil((next_tat - now) * 1000), 0 }
            """);

    /** Takes (or renews) the lease ARGV[4] in the set KEYS[1] unless ARGV[3] live leases are there: 0, else ms to wait. */
    static final RedisConnection.Script LEASE = RedisConnection.Script.of("""
            -- ARGV: now (s), expires (s), limit, lease id
            local now, expires, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
            if redis.call('ZSCORE', KEYS[1], ARGV[4]) then
              redis.call('ZADD', KEYS[1], 'XX', expires, ARGV[4])
              return 0
            end
            if redis.call('ZCARD', KEYS[1]) >= limit then
              local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
              local wait = math.ceil((tonumber(first[2]) - now) * 1000)
              if wait < 1 then wait = 1 end
              return wait
            end
            redis.call('ZADD', KEYS[1], 'NX', expires, ARGV[4])
            return 0
            """);

    private final RedisConnection redis;
    private final boolean cell;

    private RedisThrottles(RedisConnection redis, boolean cell) {
        this.redis = redis;
        this.cell = cell;
    }

    /** Asks the server whether it has redis-cell ({@code COMMAND INFO CL.THROTTLE}), as KumoMTA does. */
    static CompletableFuture<RedisThrottles> on(RedisConnection redis) {
        return redis.command("COMMAND", List.of("INFO", "CL.THROTTLE")).thenApply(r ->
                new RedisThrottles(redis, r instanceof List<?> l && l.stream().anyMatch(x -> x != null)));
    }

    boolean hasRedisCell() {
        return cell;
    }

    RedisConnection connection() {
        return redis;
    }

    CompletableFuture<ThrottleResult> throttle(String key, ThrottleSpec spec, long quantity) {
        if (cell) {
            return redis.command("CL.THROTTLE", List.of(key, spec.burst(), spec.limit(), spec.periodSeconds(), quantity))
                    .thenApply(r -> {
                        List<?> v = (List<?>) r;
                        long retry = num(v.get(3));
                        return new ThrottleResult(num(v.get(0)) != 0, num(v.get(1)), num(v.get(2)),
                                Duration.ofSeconds(Math.max(0, num(v.get(4)))), retry <= 0 ? null : Duration.ofSeconds(retry));
                    });
        }
        return redis.eval(GCRA, List.of(key), List.of(spec.limit(), spec.periodSeconds(), spec.burst(), quantity))
                .thenApply(r -> {
                    List<?> v = (List<?>) r;
                    boolean throttled = num(v.get(0)) != 0;
                    return new ThrottleResult(throttled, spec.burst(), num(v.get(1)), Duration.ofMillis(num(v.get(2))),
                            throttled ? Duration.ofMillis(Math.max(1, num(v.get(3)))) : null);
                });
    }

    /** 0 when the lease {@code id} is held (taken or renewed) until {@code expires}, else ms until one may expire. */
    CompletableFuture<Long> lease(String name, String id, long limit, Duration duration) {
        double now = System.currentTimeMillis() / 1000.0;
        return redis.eval(LEASE, List.of(name), List.of(String.format(java.util.Locale.ROOT, "%.3f", now),
                String.format(java.util.Locale.ROOT, "%.3f", now + duration.toMillis() / 1000.0), limit, id)).thenApply(RedisThrottles::num);
    }

    CompletableFuture<Void> release(String name, String id) {
        return redis.command("ZREM", List.of(name, id)).thenApply(r -> null);
    }

    private static long num(Object o) {
        return switch (o) {
            case Number n -> n.longValue();
            case String s -> Long.parseLong(s.strip());
            default -> throw new IllegalStateException("unexpected reply from Redis: " + o);
        };
    }
}
