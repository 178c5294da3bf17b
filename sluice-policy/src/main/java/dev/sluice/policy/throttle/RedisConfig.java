package dev.sluice.policy.throttle;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The table of {@code kumo.redis.open{…}} and {@code kumo.configure_redis_throttles{…}}, with KumoMTA's keys.
 *
 * @param nodes            {@code node}: one {@code redis://} URL, or several for a cluster
 * @param cluster          {@code cluster}, else true when several nodes are given
 * @param poolSize         {@code pool_size} (accepted; Sluice multiplexes one connection per node, see README)
 * @param readFromReplicas {@code read_from_replicas} (cluster reads from replicas)
 * @param username         {@code username} for every cluster node
 * @param password         {@code password} for every cluster node
 * @param connectTimeout   {@code connect_timeout}, default 30 s
 * @param responseTimeout  {@code response_timeout}, default 5 s (KumoMTA has none by default)
 * @param leaseDuration    Sluice's {@code lease_duration} (configure_redis_throttles only): how long a connection
 *                         lease lives unless its holder renews it (it renews every third of this), default 60 s
 */
public record RedisConfig(List<String> nodes, boolean cluster, int poolSize, boolean readFromReplicas, String username,
                          String password, Duration connectTimeout, Duration responseTimeout, Duration leaseDuration) {
    private static final Set<String> KEYS = Set.of("node", "pool_size", "read_from_replicas", "username", "password",
            "connect_timeout", "wait_timeout", "response_timeout", "recycle_timeout", "cluster");

    public RedisConfig {
        nodes = List.copyOf(nodes);
    }

    /**
     * @param function the Lua function's name for errors
     * @param throttles whether Sluice's {@code lease_duration} is allowed (configure_redis_throttles)
     * @throws ConfigException naming the key and what is wrong
     */
    public static RedisConfig parse(Object table, String function, boolean throttles) {
        if (!(table instanceof Map<?, ?> map)) {
            throw new ConfigException(function + ": expected a table such as { node = 'redis://127.0.0.1/' }");
        }
        for (Object k : map.keySet()) {
            if (!KEYS.contains(String.valueOf(k)) && !(throttles && "lease_duration".equals(k))) {
                throw new ConfigException(function + ": unknown key '" + k + "'");
            }
        }
        List<String> nodes = new ArrayList<>();
        switch (map.get("node")) {
            case String s -> nodes.add(s);
            case List<?> list -> list.forEach(n -> nodes.add(url(n, function)));
            case Map<?, ?> m when m.isEmpty() -> { }
            case null -> throw new ConfigException(function + ": 'node' is required (a redis:// URL or a list of them)");
            default -> throw new ConfigException(function + ": 'node' must be a redis:// URL or a list of them");
        }
        if (nodes.isEmpty()) {
            throw new ConfigException(function + ": 'node' lists no server");
        }
        nodes.forEach(n -> url(n, function));
        boolean cluster = map.get("cluster") instanceof Boolean b ? b : nodes.size() > 1;
        int pool = map.get("pool_size") instanceof Number n ? n.intValue() : 10;
        return new RedisConfig(nodes, cluster, pool, Boolean.TRUE.equals(map.get("read_from_replicas")),
                str(map.get("username")), str(map.get("password")),
                duration(map.get("connect_timeout"), Duration.ofSeconds(30), function, "connect_timeout"),
                duration(map.get("response_timeout"), Duration.ofSeconds(5), function, "response_timeout"),
                duration(map.get("lease_duration"), Duration.ofSeconds(60), function, "lease_duration"));
    }

    private static String url(Object n, String function) {
        if (!(n instanceof String s) || !(s.startsWith("redis://") || s.startsWith("rediss://"))) {
            throw new ConfigException(function + ": node '" + n + "' is not a redis:// URL");
        }
        return s;
    }

    private static String str(Object o) {
        return o == null ? null : o.toString();
    }

    private static Duration duration(Object value, Duration dflt, String function, String key) {
        if (value == null) return dflt;
        try {
            Duration d = Durations.parse(value);
            if (d.isZero() || d.isNegative()) throw new ConfigException("must be positive");
            return d;
        } catch (ConfigException e) {
            throw new ConfigException(function + ": " + key + ": " + e.getMessage());
        }
    }
}
