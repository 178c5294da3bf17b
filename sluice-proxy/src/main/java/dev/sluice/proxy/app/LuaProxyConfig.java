package dev.sluice.proxy.app;

import dev.sluice.net.Hostnames;

import dev.sluice.net.CidrSet;
import dev.sluice.net.SocketAddresses;
import dev.sluice.net.TcpKeepalive;
import dev.sluice.net.http.HttpListenerConfig;
import dev.sluice.policy.ConfigException;
import dev.sluice.policy.ConfigSchema;
import dev.sluice.policy.ConfigTable;
import dev.sluice.policy.KeySource;
import dev.sluice.policy.LuaFunction;
import dev.sluice.policy.LuaModule;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyException;
import dev.sluice.policy.PolicyOptions;
import dev.sluice.policy.http.HttpListenerConfigs;
import dev.sluice.proxy.IdentityRules;
import dev.sluice.proxy.ProxyListenerConfig;
import dev.sluice.proxy.SessionRate;
import dev.sluice.proxy.SourceLimit;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@code --proxy-config} file: the {@code proxy} module ({@code start_proxy_listener},
 * {@code start_http_listener}, and {@code kumo.start_proxy_listener} as KumoProxy's alias), run through
 * the {@code proxy_init} event, plus RFC 1929 logins decided by {@code proxy_server_auth_rfc1929}.
 */
final class LuaProxyConfig implements LuaModule {

    /** KumoProxy's keys, all acted on, plus Sluice's access rules. */
    static final ConfigSchema PROXY_LISTENER = ConfigSchema.of("start_proxy_listener",
            Set.of("listen", "hostname", "timeout", "use_splice", "use_tls", "tls_certificate", "tls_private_key",
                    "require_auth", "tcp_keepalive",
                    "allowed_clients", "allowed_source_addresses", "allowed_destination_ports", "allowed_destinations",
                    "identity_rules", "source_limits"),
            Set.of());
    static final ConfigSchema TCP_KEEPALIVE =
            ConfigSchema.of("tcp_keepalive", Set.of("enabled", "time", "interval", "retries"), Set.of());
    static final ConfigSchema IDENTITY_RULES = ConfigSchema.of("identity_rules",
            Set.of("allowed_source_addresses", "allowed_destination_ports", "source_limits"), Set.of());
    static final ConfigSchema SOURCE_LIMIT =
            ConfigSchema.of("source_limits", Set.of("max_sessions", "max_session_rate"), Set.of());

    private final List<ProxyListenerConfig> listeners = new CopyOnWriteArrayList<>();
    private final List<HttpListenerConfig> httpListeners = new CopyOnWriteArrayList<>();
    /** Whether the file has a proxy_server_auth_rfc1929 handler; null while the file is still loading. */
    private volatile Boolean authHandler;

    static final String NO_AUTHENTICATOR = "start_proxy_listener: require_auth = true, but there is no "
            + "kumo.on('" + LuaAuthenticator.EVENT + "', ...) handler to check the credentials";

    private LuaProxyConfig() {}

    /**
     * Loads the file, runs {@code proxy_init} once, and returns what it asked for.
     *
     * @throws PolicyException a bad config, as {@code file:line: reason}
     */
    static ProxySetup load(Path file, PrometheusRegistry registry) throws PolicyException {
        var module = new LuaProxyConfig();
        Policy policy = Policy.load(new PolicyOptions(file, 0, List.of(module), registry));
        try {
            boolean canAuthenticate = policy.hasHandler(LuaAuthenticator.EVENT);
            module.authHandler = canAuthenticate;
            policy.runOnce("proxy_init");
            if (module.listeners.isEmpty()) {
                throw new PolicyException(file + ": proxy_init started no proxy listener "
                        + "(call proxy.start_proxy_listener{listen = 'ip:port'} in kumo.on('proxy_init', ...))",
                        "proxy_init");
            }
            if (!canAuthenticate && module.listeners.stream().anyMatch(ProxyListenerConfig::requireAuth)) {
                // a listener started while the file was loading, where the handlers were not known yet
                throw new PolicyException(file + ": " + NO_AUTHENTICATOR, "proxy_init");
            }
            // Without a handler nothing can check a password, so clients are not asked for one.
            return new ProxySetup(module.listeners, module.httpListeners,
                    canAuthenticate ? new LuaAuthenticator(policy) : null, policy);
        } catch (PolicyException | RuntimeException e) {
            policy.close();
            throw e;
        }
    }

    @Override
    public void install(Registrar registrar) {
        LuaFunction startProxyListener = args -> {
            ProxyListenerConfig listener = proxyListener(ConfigTable.of(PROXY_LISTENER, first(args)));
            if (listener.requireAuth() && Boolean.FALSE.equals(authHandler)) {
                throw new ConfigException(NO_AUTHENTICATOR); // at the caller's file:line
            }
            listeners.add(listener);
            return null;
        };
        registrar.function("proxy", "start_proxy_listener", startProxyListener);
        registrar.kumoFunction("start_proxy_listener", startProxyListener); // KumoProxy's older name
        registrar.function("proxy", "start_http_listener", args -> {
            httpListeners.add(HttpListenerConfigs.fromTable(ConfigTable.of(HttpListenerConfigs.SCHEMA, first(args))));
            return null;
        });
    }

    private static Object first(List<Object> args) {
        return args.isEmpty() ? null : args.get(0);
    }

    static ProxyListenerConfig proxyListener(ConfigTable t) throws IOException {
        var keepalive = t.table("tcp_keepalive", TCP_KEEPALIVE);
        var defaults = TcpKeepalive.DEFAULT;
        var b = ProxyListenerConfig.builder(listenAddress(t))
                .hostname(t.string("hostname", Hostnames.local()))
                .timeout(t.duration("timeout", ProxyListenerConfig.DEFAULT_TIMEOUT))
                .useSplice(t.bool("use_splice", true))
                .useTls(t.bool("use_tls", false))
                .requireAuth(t.bool("require_auth", false))
                .tcpKeepalive(new TcpKeepalive(
                        keepalive.bool("enabled", defaults.enabled()),
                        keepalive.duration("time", defaults.time()),
                        keepalive.duration("interval", defaults.interval()),
                        keepalive.integer("retries", defaults.retries())))
                .allowedClients(cidrs(t, "allowed_clients"))
                .allowedSourceAddresses(cidrs(t, "allowed_source_addresses"))
                .allowedDestinationPorts(ports(t, "allowed_destination_ports"))
                .allowedDestinations(cidrs(t, "allowed_destinations"))
                .identityRules(identityRules(t))
                .sourceLimits(sourceLimits(t));
        b.tlsCertificatePem(load(t.keySource("tls_certificate").orElse(null)));
        b.tlsPrivateKeyPem(load(t.keySource("tls_private_key").orElse(null)));
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(t.name() + ": " + e.getMessage());
        }
    }

    private static InetSocketAddress listenAddress(ConfigTable t) {
        String listen = t.requireString("listen");
        try {
            return SocketAddresses.parseIpPort(listen);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(t.name() + ": key 'listen': " + e.getMessage());
        }
    }

    private static byte[] load(KeySource source) throws IOException {
        return source == null ? null : source.load();
    }

    private static CidrSet cidrs(ConfigTable t, String key) {
        List<String> list = t.stringList(key, null);
        if (list == null) {
            return null;
        }
        try {
            return CidrSet.parse(list);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(t.name() + ": key '" + key + "': " + e.getMessage());
        }
    }

    private static Set<Integer> ports(ConfigTable t, String key) {
        Object raw = t.raw(key);
        if (raw == null) {
            return null;
        }
        List<?> items = raw instanceof Map<?, ?> m && m.isEmpty() ? List.of() : raw instanceof List<?> l ? l : null;
        if (items == null) {
            throw new ConfigException(t.name() + ": key '" + key + "' must be a list of port numbers");
        }
        var ports = new LinkedHashSet<Integer>();
        for (Object item : items) {
            if (!(item instanceof Long n) || n < 1 || n > 65535) {
                throw new ConfigException(t.name() + ": key '" + key + "': '" + item + "' is not a port number (1-65535)");
            }
            ports.add(n.intValue());
        }
        return ports;
    }

    private static Map<String, IdentityRules> identityRules(ConfigTable t) {
        Object raw = t.raw("identity_rules");
        if (raw == null) {
            return Map.of();
        }
        if (!(raw instanceof Map<?, ?> byIdentity)) {
            throw new ConfigException(t.name() + ": key 'identity_rules' must be a table of identity = { rules }");
        }
        var rules = new LinkedHashMap<String, IdentityRules>();
        for (var entry : byIdentity.entrySet()) {
            var r = ConfigTable.of(
                    new ConfigSchema(t.name() + ".identity_rules['" + entry.getKey() + "']",
                            IDENTITY_RULES.supported(), IDENTITY_RULES.ignored()),
                    entry.getValue());
            rules.put(String.valueOf(entry.getKey()), new IdentityRules(
                    cidrs(r, "allowed_source_addresses"), ports(r, "allowed_destination_ports"), sourceLimits(r)));
        }
        return rules;
    }

    /** {@code source_limits = { ['cidr'] = { max_sessions = n, max_session_rate = 'n/s' } }}. */
    private static List<SourceLimit> sourceLimits(ConfigTable t) {
        Object raw = t.raw("source_limits");
        if (raw == null) {
            return List.of();
        }
        if (!(raw instanceof Map<?, ?> byRange)) {
            throw new ConfigException(t.name() + ": key 'source_limits' must be a table of ['cidr'] = { limits }");
        }
        var limits = new ArrayList<SourceLimit>();
        for (var entry : byRange.entrySet()) {
            String cidr = String.valueOf(entry.getKey());
            var l = ConfigTable.of(new ConfigSchema(t.name() + ".source_limits['" + cidr + "']",
                    SOURCE_LIMIT.supported(), SOURCE_LIMIT.ignored()), entry.getValue());
            CidrSet range;
            try {
                range = CidrSet.parse(List.of(cidr));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(t.name() + ": key 'source_limits': '" + cidr + "': " + e.getMessage());
            }
            Integer maxSessions = l.has("max_sessions") ? l.integer("max_sessions", 0) : null;
            if (maxSessions != null && maxSessions < 0) {
                throw new ConfigException(l.name() + ": key 'max_sessions' must not be negative: " + maxSessions);
            }
            SessionRate rate = null;
            String rateText = l.string("max_session_rate", null);
            if (rateText != null) {
                try {
                    rate = SessionRate.parse(rateText);
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(l.name() + ": key 'max_session_rate': " + e.getMessage());
                }
            }
            limits.add(new SourceLimit(cidr, range, maxSessions, rate));
        }
        return limits;
    }
}
