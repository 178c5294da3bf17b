package dev.sluice.policy.egress;

import dev.sluice.net.CidrSet;

import dev.sluice.policy.ConfigException;
import dev.sluice.policy.ConfigSchema;
import dev.sluice.policy.ConfigTable;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code kumo.make_egress_path{...}}: how one (source, site) path delivers. Every key of KumoMTA's
 * EgressPathConfig is accepted with its code default; keys without a component here are recorded as
 * ignored ({@link dev.sluice.policy.IgnoredKeys}); a misspelt key is rejected by name.
 *
 * @param connectionLimit  concurrent connections per path on this node (32)
 * @param prohibitedHosts  MX addresses that fail the queue (127.0.0.0/8, ::1, 0.0.0.0, ::)
 * @param skipHosts        MX addresses silently dropped from the plan (none)
 * @param refreshInterval  how long this path config is cached (60 s) under the Ttl strategy
 * @param refreshStrategy  {@code Ttl} (after refreshInterval) or {@code Epoch} (when the config epoch moves)
 * @param providerName     {@code provider_name}: not acted on by Sluice's delivery, kept so that
 *                         {@code kumo.invoke_get_egress_path_config} returns it (policy-extras' queue helper reads it)
 * @param additionalConnectionLimits named connection limits shared by every path that names them (across
 *                   sources and sites), on top of connection_limit
 * @param additionalMessageRates     named message rates shared by every path that names them, on top of
 *                   max_message_rate
 */
public record EgressPath(
        int connectionLimit,
        int maxDeliveriesPerConnection,
        int maxRecipientsPerBatch,
        TlsMode enableTls,
        boolean enablePipelining,
        boolean enableRset,
        int smtpPort,
        Optional<String> ehloDomain,
        CidrSet prohibitedHosts,
        CidrSet skipHosts,
        IpLookupStrategy ipLookupStrategy,
        Optional<ThrottleSpec> maxConnectionRate,
        Optional<ThrottleSpec> maxMessageRate,
        SmtpTimeouts timeouts,
        Duration refreshInterval,
        RefreshStrategy refreshStrategy,
        Optional<String> providerName,
        Map<String, Integer> additionalConnectionLimits,
        Map<String, ThrottleSpec> additionalMessageRates) {

    public static final List<String> DEFAULT_PROHIBITED_HOSTS = List.of("127.0.0.0/8", "::1", "0.0.0.0", "::");
    public static final EgressPath DEFAULT = new EgressPath(32, 1024, 100, TlsMode.Opportunistic, true, true, 25,
            Optional.empty(), CidrSet.parse(DEFAULT_PROHIBITED_HOSTS), CidrSet.of(), IpLookupStrategy.Ipv4AndIpv6,
            Optional.empty(), Optional.empty(), SmtpTimeouts.DEFAULT, Duration.ofSeconds(60), RefreshStrategy.Ttl,
            Optional.empty(), Map.of(), Map.of());

    static final Set<String> IGNORED = Set.of(
            "source_selection_rate",
            "additional_source_selection_rates", "max_ready", "consecutive_connection_failures_before_delay",
            "enable_mta_sts", "enable_dane", "tls_prefer_openssl", "tls_certificate", "tls_private_key",
            "openssl_cipher_list", "openssl_cipher_suites", "openssl_options", "rustls_cipher_suites",
            "remember_broken_tls", "opportunistic_tls_reconnect_on_failed_handshake", "smtp_auth_plain_username",
            "smtp_auth_plain_password", "allow_smtp_auth_plain_without_tls",
            "allow_smtp_auth_plain_without_valid_certificate", "system_shutdown_timeout", "reconnect_strategy",
            "try_next_host_on_transport_error", "use_lmtp", "ignore_8bit_checks",
            "dispatcher_wakeup_strategy", "maintainer_wakeup_strategy", "low_memory_reduction_policy",
            "no_memory_reduction_policy", "readyq_pool_name",
            "dispatcher_progress_watchdog_timeout", "aggressive_connection_opening", "suspended");
    static final ConfigSchema SCHEMA = ConfigSchema.of("make_egress_path", supported(), IGNORED);

    private static Set<String> supported() {
        Set<String> keys = new HashSet<>(Set.of("connection_limit", "max_deliveries_per_connection",
                "max_recipients_per_batch", "enable_tls", "enable_pipelining", "enable_rset", "smtp_port",
                "ehlo_domain", "prohibited_hosts", "skip_hosts", "ip_lookup_strategy", "max_connection_rate",
                "max_message_rate", "refresh_interval", "refresh_strategy", "provider_name",
                "additional_connection_limits", "additional_message_rate_throttles"));
        keys.addAll(SmtpTimeouts.KEYS);
        return keys;
    }

    public EgressPath {
        additionalConnectionLimits = Map.copyOf(additionalConnectionLimits);
        additionalMessageRates = Map.copyOf(additionalMessageRates);
        if (connectionLimit < 1 || maxDeliveriesPerConnection < 1 || maxRecipientsPerBatch < 1) {
            throw new IllegalArgumentException("connection_limit, max_deliveries_per_connection and "
                    + "max_recipients_per_batch must be at least 1");
        }
    }

    /** Parses a {@code make_egress_path} table. */
    /** Whether {@code key} is one of KumoMTA's path options that Sluice accepts but does not act on. */
    public static boolean ignores(String key) {
        return IGNORED.contains(key);
    }

    public static EgressPath parse(Object luaValue) {
        ConfigTable t = ConfigTable.of(SCHEMA, luaValue);
        EgressPath d = DEFAULT;
        int smtpPort = t.integer("smtp_port", d.smtpPort);
        if (smtpPort < 1 || smtpPort > 65535) {
            throw new ConfigException(t.name() + ": key 'smtp_port': " + smtpPort + " is out of range (1-65535)");
        }
        return new EgressPath(
                connectionLimit(t),
                positive(t, "max_deliveries_per_connection", d.maxDeliveriesPerConnection),
                positive(t, "max_recipients_per_batch", d.maxRecipientsPerBatch),
                enumValue(t, "enable_tls", TlsMode.class, d.enableTls),
                t.bool("enable_pipelining", d.enablePipelining),
                t.bool("enable_rset", d.enableRset),
                smtpPort,
                Optional.ofNullable(t.string("ehlo_domain", null)),
                cidrs(t, "prohibited_hosts", d.prohibitedHosts),
                cidrs(t, "skip_hosts", d.skipHosts),
                lookupStrategy(t, d.ipLookupStrategy),
                QueueConfig.throttle(t, "max_connection_rate"),
                QueueConfig.throttle(t, "max_message_rate"),
                SmtpTimeouts.parse(t),
                t.duration("refresh_interval", d.refreshInterval),
                RefreshStrategy.parse(t),
                Optional.ofNullable(t.string("provider_name", null)),
                named(t, "additional_connection_limits", v -> limit("", v)),
                named(t, "additional_message_rate_throttles", v -> {
                    if (!(v instanceof String text)) throw new IllegalArgumentException("expected a throttle such as '100/s', got " + v);
                    return ThrottleSpec.parse(text);
                }));
    }

    /** A table of limit name → value. */
    private static <V> Map<String, V> named(ConfigTable t, String key, java.util.function.Function<Object, V> parse) {
        Object raw = t.raw(key);
        if (raw == null) return Map.of();
        if (!(raw instanceof Map<?, ?> m)) {
            throw new ConfigException(t.name() + ": key '" + key + "': expected a table of limit name = value");
        }
        Map<String, V> out = new java.util.TreeMap<>();
        m.forEach((name, value) -> {
            try {
                out.put(String.valueOf(name), parse.apply(value));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(t.name() + ": key '" + key + "': limit '" + name + "': " + e.getMessage());
            }
        });
        return out;
    }

    /** A number, or KumoMTA's string forms {@code '1,000'} and {@code 'local:20'}. */
    private static int connectionLimit(ConfigTable t) {
        Object raw = t.raw("connection_limit");
        if (raw instanceof String) {
            return limit(t.name() + ": key 'connection_limit'", raw);
        }
        return positive(t, "connection_limit", DEFAULT.connectionLimit);
    }

    private static int limit(String where, Object raw) {
        if (raw instanceof Long l && l >= 1 && l <= Integer.MAX_VALUE) return l.intValue();
        if (raw instanceof String s) {
            String digits = s.strip().replaceFirst("^local:", "").replace(",", "").replace("_", "");
            if (digits.matches("\\d{1,9}") && Integer.parseInt(digits) >= 1) return Integer.parseInt(digits);
        }
        throw new ConfigException((where.isEmpty() ? "" : where + ": ") + "invalid limit '" + raw + "' (a whole number, at least 1)");
    }

    private static int positive(ConfigTable t, String key, int fallback) {
        int value = t.integer(key, fallback);
        if (value < 1) {
            throw new ConfigException(t.name() + ": key '" + key + "' must be at least 1, got " + value);
        }
        return value;
    }

    private static IpLookupStrategy lookupStrategy(ConfigTable t, IpLookupStrategy fallback) {
        String text = t.string("ip_lookup_strategy", null);
        try {
            return text == null ? fallback : IpLookupStrategy.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(t.name() + ": key 'ip_lookup_strategy': " + e.getMessage());
        }
    }

    private static <E extends Enum<E>> E enumValue(ConfigTable t, String key, Class<E> type, E fallback) {
        String text = t.string(key, null);
        if (text == null) {
            return fallback;
        }
        for (E value : type.getEnumConstants()) {
            if (value.name().equals(text)) {
                return value;
            }
        }
        throw new ConfigException(t.name() + ": key '" + key + "': unknown value '" + text + "', expected one of "
                + List.of(type.getEnumConstants()));
    }

    private static CidrSet cidrs(ConfigTable t, String key, CidrSet fallback) {
        List<String> list = t.stringList(key, null);
        if (list == null) {
            return fallback;
        }
        try {
            return CidrSet.parse(list);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(t.name() + ": key '" + key + "': " + e.getMessage());
        }
    }
}
