package dev.sluice.policy.http;

import dev.sluice.net.Hostnames;

import dev.sluice.net.SocketAddresses;
import dev.sluice.net.Tls;
import dev.sluice.net.http.HttpListenerConfig;
import dev.sluice.policy.ConfigException;
import dev.sluice.policy.ConfigSchema;
import dev.sluice.policy.ConfigTable;
import dev.sluice.policy.KeySource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Set;

/**
 * Reads KumoMTA's {@code start_http_listener{listen, hostname, use_tls, tls_certificate, tls_private_key,
 * trusted_hosts, request_body_limit}} table (shared by {@code kumo.start_http_listener} and KumoProxy's
 * {@code proxy.start_http_listener}) into an {@link HttpListenerConfig}.
 */
public final class HttpListenerConfigs {

    /** All of KumoMTA's keys for this table; every one is acted on. */
    public static final ConfigSchema SCHEMA = ConfigSchema.of("start_http_listener",
            Set.of("listen", "hostname", "use_tls", "tls_certificate", "tls_private_key", "trusted_hosts",
                    "request_body_limit"),
            Set.of());

    /** KumoMTA's default listen address. */
    public static final String DEFAULT_LISTEN = "127.0.0.1:8000";

    private HttpListenerConfigs() {}

    /**
     * @param t the table, validated against {@link #SCHEMA} (use {@code ConfigTable.of(SCHEMA, luaValue)}, or a
     *          schema with another name for messages)
     * @throws ConfigException a bad value, naming the table and key
     */
    public static HttpListenerConfig fromTable(ConfigTable t) {
        InetSocketAddress listen = listenAddress(t);
        String hostname = t.string("hostname", Hostnames.local());
        long bodyLimit = t.integer("request_body_limit", (int) HttpListenerConfig.DEFAULT_REQUEST_BODY_LIMIT);
        if (bodyLimit <= 0) {
            throw new ConfigException(t.name() + ": key 'request_body_limit' must be positive, got " + bodyLimit);
        }
        var trusted = t.stringList("trusted_hosts", HttpListenerConfig.DEFAULT_TRUSTED_HOSTS);
        HttpListenerConfig config;
        try {
            config = new HttpListenerConfig(listen, hostname, false, null, trusted, bodyLimit);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(t.name() + ": key 'trusted_hosts': " + e.getMessage());
        }
        if (!t.bool("use_tls", false)) {
            return config;
        }
        byte[] cert = load(t, "tls_certificate");
        byte[] key = load(t, "tls_private_key");
        if ((cert == null) != (key == null)) {
            throw new ConfigException(t.name() + ": tls_certificate and tls_private_key must be given together");
        }
        try {
            // KumoMTA's default: a self-signed certificate for the listener's hostname.
            return config.withTls(cert == null ? Tls.selfSignedServerContext(hostname) : Tls.serverContext(cert, key));
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException(t.name() + ": cannot set up TLS: " + e.getMessage());
        }
    }

    private static InetSocketAddress listenAddress(ConfigTable t) {
        String listen = t.string("listen", DEFAULT_LISTEN);
        try {
            return SocketAddresses.parseListen(listen);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(t.name() + ": key 'listen': " + e.getMessage());
        }
    }

    private static byte[] load(ConfigTable t, String key) {
        KeySource source = t.keySource(key).orElse(null);
        if (source == null) {
            return null;
        }
        try {
            return source.load();
        } catch (IOException e) {
            String what = source instanceof KeySource.File f ? f.path().toString() : "the key data";
            throw new ConfigException(t.name() + ": key '" + key + "': cannot read " + what + " ("
                    + e.getClass().getSimpleName() + ")");
        }
    }
}
