package dev.sluice.egress.nats;

import dev.sluice.net.Transports;
import dev.sluice.policy.ConfigException;
import dev.sluice.policy.ConfigSchema;
import dev.sluice.policy.ConfigTable;
import dev.sluice.policy.KeySource;
import dev.sluice.policy.LuaBytes;
import dev.sluice.policy.LuaModule;
import dev.sluice.policy.LuaObject;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.lang.ref.Cleaner;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code kumo.nats.connect{ servers, name, auth = {username, password} | {token}, ... }} returning a client with
 * {@code client:publish{ subject, payload, headers, await_ack = true }} and {@code client:close()}, on
 * {@link NatsClient}. KumoMTA's TLS keys are refused (Sluice's client has no TLS yet: sending credentials in
 * clear text where TLS was asked for would be worse than failing); its reconnection and tuning keys are accepted
 * and listed as ignored (a lost connection is made again at the next publication). The event loop starts with
 * the first connection; a client the policy drops without
 * {@code close()} is closed once the garbage collector finds it unreachable.
 */
public final class NatsPolicyModule implements LuaModule, AutoCloseable {
    static final ConfigSchema CONNECT = ConfigSchema.of("kumo.nats.connect",
            Set.of("servers", "auth", "name", "no_echo", "connection_timeout", "request_timeout", "inbox_prefix",
                    "retain_servers_order", "tls_required", "tls_first", "certificate", "client_cert", "client_key"),
            Set.of("max_reconnects", "ping_interval", "client_capacity", "sender_capacity", "retry_on_initial_connect",
                    "ignore_discovered_servers"));
    static final ConfigSchema AUTH = ConfigSchema.of("kumo.nats.connect.auth", Set.of("username", "password", "token"), Set.of());
    static final ConfigSchema PUBLISH = ConfigSchema.of("publish", Set.of("subject", "payload", "headers", "await_ack"), Set.of());
    private static final Set<String> TLS_KEYS = Set.of("tls_first", "certificate", "client_cert", "client_key");
    /** Added to the client's own timeouts when the policy thread waits for a result. */
    private static final Duration SLACK = Duration.ofSeconds(2);

    private EventLoopGroup group; // created by the first connect

    @Override
    public void install(Registrar registrar) {
        registrar.function("kumo.nats", "connect", args -> {
            NatsOptions options = options(args.isEmpty() ? null : args.getFirst());
            return new ClientObject(connect(options), options, () -> connect(options));
        });
    }

    private NatsClient connect(NatsOptions options) throws Exception {
        return await(NatsClient.connect(group(), options), options.connectTimeout().multipliedBy(options.servers().size()));
    }

    /** Makes a new connection with the options of the first. */
    @FunctionalInterface
    interface Reconnect {
        NatsClient connect() throws Exception;
    }

    private synchronized EventLoopGroup group() {
        if (group == null) {
            group = Transports.newEventLoopGroup(1, new DefaultThreadFactory("nats-client", true));
        }
        return group;
    }

    @Override
    public synchronized void close() {
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            group = null;
        }
    }

    static NatsOptions options(Object value) {
        ConfigTable t = ConfigTable.of(CONNECT, value);
        List<String> servers = t.stringList("servers", List.of());
        if (servers.isEmpty()) {
            throw new ConfigException("kumo.nats.connect: servers must list at least one 'host:port'");
        }
        if (t.bool("tls_required", false) || TLS_KEYS.stream().anyMatch(t::has)) {
            throw new ConfigException("kumo.nats.connect: TLS (tls_required, tls_first, certificate, client_cert, "
                    + "client_key) is not supported by Sluice's NATS client yet");
        }
        if (!t.bool("retain_servers_order", false)) {
            servers = new ArrayList<>(servers);
            Collections.shuffle(servers); // as KumoMTA's client: a random server first unless told otherwise
        }
        ConfigTable auth = t.table("auth", AUTH);
        if (auth.has("username") != auth.has("password")) {
            throw new ConfigException("kumo.nats.connect.auth: give both username and password, or neither");
        }
        String user = secret(auth, "username");
        String password = secret(auth, "password");
        Duration connectTimeout = t.duration("connection_timeout", NatsOptions.DEFAULT_CONNECT_TIMEOUT);
        Duration requestTimeout = t.duration("request_timeout", NatsOptions.DEFAULT_REQUEST_TIMEOUT);
        if (connectTimeout.isZero() || connectTimeout.isNegative() || requestTimeout.isZero() || requestTimeout.isNegative()) {
            throw new ConfigException("kumo.nats.connect: connection_timeout and request_timeout must be positive");
        }
        return new NatsOptions(servers, t.string("name", null), user, password, secret(auth, "token"),
                !t.bool("no_echo", false), connectTimeout, requestTimeout,
                t.string("inbox_prefix", NatsOptions.DEFAULT_INBOX_PREFIX));
    }

    private static String secret(ConfigTable auth, String key) {
        Optional<KeySource> source = auth.keySource(key);
        if (source.isEmpty()) {
            return null;
        }
        try {
            return new String(source.get().load(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new ConfigException("kumo.nats.connect.auth: cannot read " + key + " from " + source.get() + ": "
                    + e.getClass().getSimpleName() + " " + e.getMessage());
        }
    }

    private static <T> T await(CompletableFuture<T> future, Duration bound) throws Exception {
        try {
            return future.get(bound.plus(SLACK).toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception ex) throw ex;
            throw e;
        } catch (TimeoutException e) {
            future.cancel(false);
            throw new NatsException("no answer from NATS within " + bound.plus(SLACK).toMillis() + " ms");
        }
    }

    /**
     * The client as Lua sees it. A connection found lost at a publication is made again once (through the
     * server list) before the publication fails.
     */
    static final class ClientObject implements LuaObject {
        private static final Cleaner CLEANER = Cleaner.create(new DefaultThreadFactory("nats-cleaner", true));

        private final AtomicReference<NatsClient> client;
        private final NatsOptions options;
        private final Reconnect reconnect;
        private volatile boolean closed;

        ClientObject(NatsClient client, NatsOptions options, Reconnect reconnect) {
            this.client = new AtomicReference<>(client);
            this.options = options;
            this.reconnect = reconnect;
            AtomicReference<NatsClient> current = this.client; // the cleaning action must not hold this object
            CLEANER.register(this, () -> current.get().close());
        }

        private synchronized NatsClient connected() throws Exception {
            NatsClient c = client.get();
            if (!c.isOpen() && !closed) {
                c = reconnect.connect();
                client.set(c);
            }
            return c;
        }

        @Override
        public String typeName() {
            return "NatsClient";
        }

        @Override
        public String display() {
            return "NatsClient(" + client.get().server() + ")";
        }

        @Override
        public Object index(Object key) {
            return switch (String.valueOf(key)) {
                case "publish" -> LuaObject.method(this, args -> publish(LuaObject.arg(args, 0)));
                case "close" -> LuaObject.method(this, args -> {
                    closed = true;
                    client.get().close();
                    return null;
                });
                default -> null;
            };
        }

        private Object publish(Object params) throws Exception {
            if (closed) {
                throw new NatsException("client was closed");
            }
            ConfigTable t = ConfigTable.of(PUBLISH, params);
            String subject = t.requireString("subject");
            Object payload = t.raw("payload");
            if (payload == null) {
                throw new ConfigException("publish: missing required key 'payload'");
            }
            byte[] bytes = payload instanceof LuaBytes b ? b.bytes()
                    : payload instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : null;
            if (bytes == null) {
                throw new ConfigException("publish: key 'payload' must be a string");
            }
            Map<String, String> headers = new LinkedHashMap<>();
            if (t.raw("headers") instanceof Map<?, ?> m) {
                m.forEach((k, v) -> headers.put(String.valueOf(k), String.valueOf(v)));
            } else if (t.raw("headers") != null) {
                throw new ConfigException("publish: key 'headers' must be a table of name = value");
            }
            boolean awaitAck = t.bool("await_ack", true);
            Optional<PubAck> ack = await(connected().publish(subject, bytes, headers, awaitAck), options.requestTimeout());
            Map<String, Object> result = new LinkedHashMap<>();
            ack.ifPresent(a -> {
                result.put("stream", a.stream());
                result.put("sequence", a.sequence());
                result.put("domain", a.domain());
                result.put("duplicate", a.duplicate());
                result.put("value", a.value());
            });
            return result;
        }
    }
}
