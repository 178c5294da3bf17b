package dev.sluice.policy.egress;

import dev.sluice.net.IpLiterals;



import dev.sluice.policy.ConfigException;
import dev.sluice.policy.ConfigSchema;
import dev.sluice.policy.ConfigTable;
import dev.sluice.policy.KeySource;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/** Reads an egress source table and enforces Sluice's proxy rules, naming the offending field. */
public final class EgressSourceParser {
    /** Every key of KumoMTA's EgressSource, all acted on, plus Sluice's TLS-to-proxy keys. */
    static final Set<String> KEYS = Set.of("name", "ehlo_domain", "source_address", "remote_port",
            "ha_proxy_server", "ha_proxy_source_address", "socks5_proxy_server", "socks5_proxy_source_address",
            "socks5_proxy_username", "socks5_proxy_password", "suspend_when_unplumbed",
            "suspend_when_proxy_unhealthy", "ttl", "socks5_proxy_use_tls", "socks5_proxy_tls_ca",
            "socks5_proxy_tls_insecure");

    private EgressSourceParser() {}

    /**
     * Parses a Lua table; {@code table} names it in messages ({@code make_egress_source},
     * {@code define_egress_source}).
     *
     * @throws ConfigException "{@code table}: key 'field': reason" or "{@code table}: rule broken"
     */
    public static EgressSource parse(String table, Object luaValue) {
        ConfigTable t = ConfigTable.of(ConfigSchema.of(table, KEYS, Set.of()), luaValue);
        String name = t.requireString("name");
        var haServer = server(t, "ha_proxy_server");
        var haSource = ip(t, "ha_proxy_source_address");
        var socksServer = server(t, "socks5_proxy_server");
        var socksSource = ip(t, "socks5_proxy_source_address");
        var username = Optional.ofNullable(t.string("socks5_proxy_username", null));
        Optional<KeySource> password = t.keySource("socks5_proxy_password");
        boolean useTls = t.bool("socks5_proxy_use_tls", false);
        Optional<KeySource> tlsCa = t.keySource("socks5_proxy_tls_ca");
        boolean insecure = t.bool("socks5_proxy_tls_insecure", false);
        String problem = proxyProblem(haServer.isPresent(), haSource.isPresent(), socksServer.isPresent(),
                socksSource.isPresent(), username.isPresent(), password.isPresent(), useTls, tlsCa.isPresent(), insecure);
        if (problem != null) {
            throw new ConfigException(table + ": " + problem);
        }
        if (username.isPresent() && username.get().getBytes(StandardCharsets.UTF_8).length > 255) {
            throw new ConfigException(table + ": key 'socks5_proxy_username' is longer than 255 bytes (RFC 1929)");
        }
        if (password.orElse(null) instanceof KeySource.Inline inline && inline.data().length > 255) {
            throw new ConfigException(table + ": key 'socks5_proxy_password' is longer than 255 bytes (RFC 1929)");
        }
        return new EgressSource(name,
                Optional.ofNullable(t.string("ehlo_domain", null)),
                ip(t, "source_address"),
                port(t, "remote_port"),
                haServer, haSource, socksServer, socksSource, username, password, useTls, tlsCa, insecure,
                t.has("suspend_when_unplumbed")
                        ? Optional.of(SuspensionRule.parse(t, "suspend_when_unplumbed")) : Optional.empty(),
                t.has("suspend_when_proxy_unhealthy")
                        ? Optional.of(SuspensionRule.parse(t, "suspend_when_proxy_unhealthy")) : Optional.empty(),
                t.duration("ttl", EgressSource.DEFAULT_TTL));
    }

    /**
     * The first broken proxy rule, or null. KumoMTA silently connects direct when a proxy is half
     * configured (mail then leaves from the wrong IP); Sluice refuses such a source instead.
     */
    static String proxyProblem(boolean haServer, boolean haSource, boolean socksServer, boolean socksSource,
                               boolean username, boolean password, boolean useTls, boolean tlsCa, boolean insecure) {
        if (haServer && !haSource) {
            return "ha_proxy_server is set but ha_proxy_source_address is not; HAProxy needs both";
        }
        if (haSource && !haServer) {
            return "ha_proxy_source_address is set but ha_proxy_server is not; HAProxy needs both";
        }
        boolean anySocks = socksServer || socksSource || username || password || useTls || tlsCa || insecure;
        if (haServer && anySocks) {
            return "both HAProxy (ha_proxy_server) and SOCKS5 (" + firstSocksKey(socksServer, socksSource, username,
                    password, useTls, tlsCa, insecure) + ") are configured; a source uses one proxy";
        }
        if (!socksServer && anySocks) {
            return firstSocksKey(false, socksSource, username, password, useTls, tlsCa, insecure)
                    + " is set but socks5_proxy_server is not";
        }
        if (username && !password) {
            return "socks5_proxy_username is set but socks5_proxy_password is not; RFC 1929 needs both";
        }
        if (password && !username) {
            return "socks5_proxy_password is set but socks5_proxy_username is not; RFC 1929 needs both";
        }
        if ((tlsCa || insecure) && !useTls) {
            return (tlsCa ? "socks5_proxy_tls_ca" : "socks5_proxy_tls_insecure")
                    + " is set but socks5_proxy_use_tls is not true";
        }
        return null;
    }

    private static String firstSocksKey(boolean server, boolean source, boolean username, boolean password,
                                        boolean useTls, boolean tlsCa, boolean insecure) {
        if (server) return "socks5_proxy_server";
        if (source) return "socks5_proxy_source_address";
        if (username) return "socks5_proxy_username";
        if (password) return "socks5_proxy_password";
        if (useTls) return "socks5_proxy_use_tls";
        if (tlsCa) return "socks5_proxy_tls_ca";
        return insecure ? "socks5_proxy_tls_insecure" : "?";
    }

    static Optional<InetAddress> ip(ConfigTable t, String key) {
        String text = t.string(key, null);
        if (text == null) {
            return Optional.empty();
        }
        InetAddress address = IpLiterals.parse(text).orElse(null);
        if (address == null) {
            throw new ConfigException(t.name() + ": key '" + key + "': invalid IP address '" + text + "'");
        }
        return Optional.of(address);
    }

    private static Optional<HostPort> server(ConfigTable t, String key) {
        String text = t.string(key, null);
        if (text == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(HostPort.parse(text));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(t.name() + ": key '" + key + "': " + e.getMessage());
        }
    }

    private static OptionalInt port(ConfigTable t, String key) {
        if (!t.has(key)) {
            return OptionalInt.empty();
        }
        int port = t.integer(key, 0);
        if (port < 1 || port > 65535) {
            throw new ConfigException(t.name() + ": key '" + key + "': port " + port + " is out of range (1-65535)");
        }
        return OptionalInt.of(port);
    }
}
