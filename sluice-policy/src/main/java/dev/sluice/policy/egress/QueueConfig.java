package dev.sluice.policy.egress;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.ConfigSchema;
import dev.sluice.policy.ConfigTable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code kumo.make_queue_config{...}}: how a scheduled queue delivers. Every key of KumoMTA's QueueConfig is
 * accepted; those without a component here are recorded as ignored ({@link dev.sluice.policy.IgnoredKeys}).
 *
 * @param egressPool       pool to deliver from; empty means the built-in {@code unspecified}
 * @param retryInterval    base of the exponential backoff (default 20 min)
 * @param maxRetryInterval cap on each computed delay (default none)
 * @param maxAge           expire messages older than this (default 7 days)
 * @param maxMessageRate   scheduled → ready promotion rate (default none)
 * @param protocol         {@code protocol}: SMTP (by MX, or {@code smtp = {mx_list = ...}}: hosts tried in order
 *                         instead of an MX lookup) or {@code custom_lua = {constructor = ...}}
 * @param reapInterval     idle time before the scheduled queue is dropped (default 10 min)
 * @param refreshInterval  how long this config is cached (default 1 min) under the Ttl strategy
 * @param refreshStrategy  {@code Ttl} (after refreshInterval) or {@code Epoch} (when the config epoch moves)
 * @param shrinkPolicy     {@code shrink_policy}, validated; Sluice releases data and meta of every scheduled message
 *                         whatever it says ({@link ShrinkPolicy})
 */
public record QueueConfig(
        Optional<String> egressPool,
        Duration retryInterval,
        Optional<Duration> maxRetryInterval,
        Duration maxAge,
        Optional<ThrottleSpec> maxMessageRate,
        QueueProtocol protocol,
        Duration reapInterval,
        Duration refreshInterval,
        RefreshStrategy refreshStrategy,
        ShrinkPolicy shrinkPolicy) {

    public static final QueueConfig DEFAULT = new QueueConfig(Optional.empty(), Duration.ofMinutes(20), Optional.empty(),
            Duration.ofDays(7), Optional.empty(), QueueProtocol.Smtp.BY_MX, Duration.ofMinutes(10), Duration.ofMinutes(1),
            RefreshStrategy.Ttl, ShrinkPolicy.DEFAULT);

    static final ConfigSchema SCHEMA = ConfigSchema.of("make_queue_config",
            Set.of("egress_pool", "retry_interval", "max_retry_interval", "max_age", "max_message_rate", "protocol",
                    "reap_interval", "refresh_interval", "refresh_strategy", "shrink_policy"),
            Set.of("strategy", "timerwheel_tick_interval", "provider_name"));
    /** KumoMTA's protocol kinds; smtp and custom_lua are implemented. */
    static final ConfigSchema PROTOCOL = ConfigSchema.of("protocol",
            Set.of("smtp", "maildir_path", "dir_mode", "file_mode", "custom_lua", "xfer"), Set.of());
    static final ConfigSchema CUSTOM_LUA = ConfigSchema.of("custom_lua", Set.of("constructor", "batch_size"),
            Set.of("min_batch_size", "max_batch_latency"));
    static final ConfigSchema SMTP = ConfigSchema.of("smtp", Set.of("mx_list"), Set.of("treat_mx_list_as_secure"));

    public QueueConfig {
        java.util.Objects.requireNonNull(protocol, "protocol");
        java.util.Objects.requireNonNull(shrinkPolicy, "shrinkPolicy");
    }

    /** The {@code mx_list} of the SMTP protocol; empty for an MX lookup or another protocol. */
    public List<MxHost> mxList() {
        return protocol instanceof QueueProtocol.Smtp smtp ? smtp.mxList() : List.of();
    }

    /** The pool name to use: {@code egress_pool}, else {@code unspecified}. */
    public String poolName() {
        return egressPool.orElse(EgressPool.UNSPECIFIED);
    }

    /** Parses a {@code make_queue_config} table. */
    public static QueueConfig parse(Object luaValue) {
        ConfigTable t = ConfigTable.of(SCHEMA, luaValue);
        return new QueueConfig(
                Optional.ofNullable(t.string("egress_pool", null)),
                t.duration("retry_interval", DEFAULT.retryInterval),
                Optional.ofNullable(t.duration("max_retry_interval", null)),
                t.duration("max_age", DEFAULT.maxAge),
                throttle(t, "max_message_rate"),
                protocol(t),
                t.duration("reap_interval", DEFAULT.reapInterval),
                t.duration("refresh_interval", DEFAULT.refreshInterval),
                RefreshStrategy.parse(t),
                ShrinkPolicy.parse(t));
    }

    static Optional<ThrottleSpec> throttle(ConfigTable t, String key) {
        String spec = t.string(key, null);
        if (spec == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(ThrottleSpec.parse(spec));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(t.name() + ": key '" + key + "': " + e.getMessage());
        }
    }

    private static QueueProtocol protocol(ConfigTable t) {
        if (!t.has("protocol")) {
            return QueueProtocol.Smtp.BY_MX;
        }
        ConfigTable protocol = t.table("protocol", PROTOCOL);
        for (String kind : List.of("maildir_path", "dir_mode", "file_mode", "xfer")) {
            if (protocol.has(kind)) {
                throw new ConfigException(protocol.name() + ": key '" + kind
                        + "': only the smtp and custom_lua protocols are implemented by Sluice");
            }
        }
        if (protocol.has("custom_lua")) {
            if (protocol.has("smtp")) {
                throw new ConfigException(protocol.name() + ": give one of smtp and custom_lua, not both");
            }
            ConfigTable lua = protocol.table("custom_lua", CUSTOM_LUA);
            int batchSize = lua.integer("batch_size", 1);
            if (batchSize < 1) {
                throw new ConfigException(lua.name() + ": key 'batch_size' must be at least 1, got " + batchSize);
            }
            return new QueueProtocol.CustomLua(lua.requireString("constructor"), batchSize);
        }
        ConfigTable smtp = protocol.table("smtp", SMTP);
        Object raw = smtp.raw("mx_list");
        List<?> items = switch (raw) {
            case null -> List.of();
            case Map<?, ?> m when m.isEmpty() -> List.of();
            case List<?> l -> l;
            default -> throw new ConfigException(smtp.name() + ": key 'mx_list' must be a list");
        };
        List<MxHost> hosts = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            hosts.add(MxHost.parse(smtp.name() + ".mx_list[" + (i + 1) + "]", items.get(i)));
        }
        return new QueueProtocol.Smtp(hosts);
    }
}
