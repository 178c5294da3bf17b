package dev.sluice.mta.ingress.smtp;

import dev.sluice.net.Hostnames;

import dev.sluice.net.Cidr;
import dev.sluice.net.SocketAddresses;
import dev.sluice.policy.ConfigException;
import dev.sluice.policy.ConfigSchema;
import dev.sluice.policy.ConfigTable;
import dev.sluice.policy.KeySource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/** Reads the table of {@code kumo.start_esmtp_listener{...}} (KumoMTA section 3.4) into an {@link EsmtpListenerConfig}. */
public final class EsmtpListenerParser {

    /**
     * Keys a {@code peer}/{@code via} block may set. {@code command_deadline}, {@code data_deadline} and
     * {@code max_connections_per_ip} are Sluice's own (KumoMTA has only the per-read {@code client_timeout}).
     */
    static final Set<String> PARAM_KEYS = Set.of("hostname", "banner", "relay_hosts", "require_proxy_protocol", "meta",
            "client_timeout", "data_processing_timeout", "max_messages_per_connection", "max_recipients_per_message",
            "max_message_size", "line_length_hard_limit", "invalid_line_endings", "command_deadline", "data_deadline",
            "max_connections_per_ip");

    /** KumoMTA keys Sluice accepts but does not act on (listed by {@code sluice check}). */
    static final Set<String> IGNORED_KEYS = Set.of("tls_required_client_ca", "data_buffer_size", "batch_handling",
            "deferred_spool", "deferred_queue", "trace_headers", "allow_xclient");

    public static final ConfigSchema SCHEMA = ConfigSchema.of("start_esmtp_listener",
            union(PARAM_KEYS, Set.of("listen", "max_connections", "peer", "via", "tls_certificate", "tls_private_key")),
            IGNORED_KEYS);

    /**
     * What {@code smtp_server_get_dynamic_parameters} may return: the per-connection keys and {@code via}/{@code peer}
     * blocks ({@code listen} and {@code max_connections} belong to the listening socket, not to a connection).
     */
    static final ConfigSchema DYNAMIC_SCHEMA = ConfigSchema.of("smtp_server_get_dynamic_parameters",
            union(PARAM_KEYS, Set.of("peer", "via")), union(IGNORED_KEYS, Set.of("tls_certificate", "tls_private_key")));

    private EsmtpListenerParser() {}

    /**
     * The listener with the overrides of a {@code smtp_server_get_dynamic_parameters} result laid over it: its keys
     * replace the listener's, a {@code via} or {@code peer} table replaces the listener's blocks of that name (as
     * KumoMTA merges the two), and the connection's params are then resolved from that as usual.
     *
     * @throws ConfigException naming the key and what is wrong with it
     */
    static EsmtpListenerConfig withDynamic(EsmtpListenerConfig config, Object overrides) {
        ConfigTable t = ConfigTable.of(DYNAMIC_SCHEMA, overrides);
        try {
            return config.withParams(applyParams(t, config.params())).withOverrides(
                    t.has("via") ? overrides(t, "via") : config.via(), t.has("peer") ? overrides(t, "peer") : config.peer());
        } catch (IllegalArgumentException e) {
            throw e instanceof ConfigException c ? c : new ConfigException(t.name() + ": " + e.getMessage());
        }
    }

    /** @throws ConfigException naming the key and what is wrong with it */
    public static EsmtpListenerConfig parse(ConfigTable t) {
        try {
            var listen = SocketAddresses.parseListen(t.string("listen", EsmtpListenerConfig.DEFAULT_LISTEN));
            EsmtpParams params = applyParams(t, EsmtpParams.defaults(Hostnames.local()));
            return new EsmtpListenerConfig(listen, t.integer("max_connections", EsmtpListenerConfig.DEFAULT_MAX_CONNECTIONS),
                    params, overrides(t, "via"), overrides(t, "peer"), load(t.keySource("tls_certificate").orElse(null)),
                    load(t.keySource("tls_private_key").orElse(null)));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(t.name() + ": " + e.getMessage());
        }
    }

    /** Sets, on top of {@code base}, the params that {@code t} names. */
    static EsmtpParams applyParams(ConfigTable t, EsmtpParams base) {
        EsmtpParams p = base;
        if (t.has("hostname")) {
            p = p.withHostname(t.string("hostname", null));
        }
        if (t.has("banner")) {
            p = new EsmtpParams(p.hostname(), t.string("banner", null), p.relayHosts(), p.maxMessageSize(),
                    p.maxRecipientsPerMessage(), p.maxMessagesPerConnection(), p.lineLengthHardLimit(),
                    p.invalidLineEndings(), p.clientTimeout(), p.dataProcessingTimeout(), p.requireProxyProtocol(),
                    p.meta(), p.commandDeadline(), p.dataDeadline(), p.maxConnectionsPerIp());
        }
        if (t.has("relay_hosts")) {
            p = p.withRelayHosts(t.cidrs("relay_hosts"));
        }
        if (t.has("require_proxy_protocol")) {
            p = p.withRequireProxyProtocol(t.bool("require_proxy_protocol", false));
        }
        if (t.has("meta")) {
            p = new EsmtpParams(p.hostname(), p.banner(), p.relayHosts(), p.maxMessageSize(),
                    p.maxRecipientsPerMessage(), p.maxMessagesPerConnection(), p.lineLengthHardLimit(),
                    p.invalidLineEndings(), p.clientTimeout(), p.dataProcessingTimeout(), p.requireProxyProtocol(),
                    meta(t), p.commandDeadline(), p.dataDeadline(), p.maxConnectionsPerIp());
        }
        if (t.has("client_timeout")) {
            p = p.withClientTimeout(t.duration("client_timeout", null));
        }
        if (t.has("data_processing_timeout")) {
            p = p.withDataProcessingTimeout(t.duration("data_processing_timeout", null));
        }
        if (t.has("command_deadline")) {
            p = p.withCommandDeadline(t.duration("command_deadline", null));
        }
        if (t.has("data_deadline")) {
            p = p.withDataDeadline(t.duration("data_deadline", null));
        }
        if (t.has("max_connections_per_ip")) {
            p = p.withMaxConnectionsPerIp(t.integer("max_connections_per_ip", 0));
        }
        if (t.has("max_messages_per_connection")) {
            p = p.withMaxMessagesPerConnection(t.integer("max_messages_per_connection", 0));
        }
        if (t.has("max_recipients_per_message")) {
            p = p.withMaxRecipientsPerMessage(t.integer("max_recipients_per_message", 0));
        }
        if (t.has("max_message_size")) {
            p = p.withMaxMessageSize(t.integer("max_message_size", 0));
        }
        if (t.has("line_length_hard_limit")) {
            p = p.withLineLengthHardLimit(t.integer("line_length_hard_limit", 0));
        }
        if (t.has("invalid_line_endings")) {
            try {
                p = p.withInvalidLineEndings(InvalidLineEndings.parse(t.string("invalid_line_endings", null)));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(t.name() + ": key 'invalid_line_endings': " + e.getMessage());
            }
        }
        return p;
    }

    private static List<ParamsOverride> overrides(ConfigTable t, String key) {
        Object raw = t.raw(key);
        if (raw == null) {
            return List.of();
        }
        if (!(raw instanceof Map<?, ?> byCidr)) {
            throw new ConfigException(t.name() + ": key '" + key + "' must be a table of ['cidr'] = { params }");
        }
        var out = new ArrayList<ParamsOverride>();
        for (var e : byCidr.entrySet()) {
            String cidrText = String.valueOf(e.getKey());
            Cidr cidr;
            try {
                cidr = Cidr.parse(cidrText);
            } catch (IllegalArgumentException ex) {
                throw new ConfigException(t.name() + ": key '" + key + "': " + ex.getMessage());
            }
            var schema = ConfigSchema.of(t.name() + "." + key + "['" + cidrText + "']", PARAM_KEYS,
                    union(IGNORED_KEYS, Set.of("tls_certificate", "tls_private_key")));
            ConfigTable block = ConfigTable.of(schema, e.getValue());
            applyParams(block, EsmtpParams.defaults("validate")); // fail at load time, not at the first connection
            UnaryOperator<EsmtpParams> change = base -> applyParams(block, base);
            out.add(new ParamsOverride(cidr, change));
        }
        return out;
    }

    private static Map<String, Object> meta(ConfigTable t) {
        Object raw = t.raw("meta");
        if (!(raw instanceof Map<?, ?> m)) {
            throw new ConfigException(t.name() + ": key 'meta' must be a table of name = value");
        }
        var out = new LinkedHashMap<String, Object>();
        m.forEach((k, v) -> out.put(String.valueOf(k), v));
        return out;
    }

    private static byte[] load(KeySource source) {
        try {
            return source == null ? null : source.load();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + source + ": " + e.getMessage(), e);
        }
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        var s = new java.util.HashSet<>(a);
        s.addAll(b);
        return s;
    }
}
