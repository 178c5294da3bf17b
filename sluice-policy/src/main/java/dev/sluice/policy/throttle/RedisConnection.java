package dev.sluice.policy.throttle;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.BaseRedisAsyncCommands;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import io.lettuce.core.output.CommandOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.ProtocolKeyword;
import io.lettuce.core.protocol.ProtocolVersion;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A connection to Redis (one server, or a cluster) on Lettuce, Netty-based: one multiplexed connection that every
 * caller shares (commands are pipelined on it; Lettuce's connections are thread-safe), reconnected by Lettuce after a
 * drop. While disconnected, commands fail at once instead of queueing, so that a caller can fall back. Replies come
 * back as Java values: Long, String (bulk and status), List (arrays, nested), null.
 */
public final class RedisConnection implements AutoCloseable {
    private final RedisConfig config;
    private final AutoCloseable client;
    private final StatefulConnection<String, String> connection;
    private final BaseRedisAsyncCommands<String, String> commands;
    private final java.util.function.Supplier<StatefulRedisPubSubConnection<String, String>> pubSub;

    private RedisConnection(RedisConfig config, AutoCloseable client, StatefulConnection<String, String> connection,
                            BaseRedisAsyncCommands<String, String> commands,
                            java.util.function.Supplier<StatefulRedisPubSubConnection<String, String>> pubSub) {
        this.config = config;
        this.client = client;
        this.connection = connection;
        this.commands = commands;
        this.pubSub = pubSub;
    }

    /** Connects (blocking, bounded by {@code connect_timeout}). @throws io.lettuce.core.RedisException when it cannot */
    public static RedisConnection open(RedisConfig config) {
        SocketOptions socket = SocketOptions.builder().connectTimeout(config.connectTimeout()).keepAlive(true).build();
        TimeoutOptions timeouts = TimeoutOptions.enabled(config.responseTimeout());
        List<RedisURI> uris = config.nodes().stream().map(n -> uri(n, config)).toList();
        // reconnect every second after a drop (Lettuce's default backs off to 30 s)
        ClientResources resources = ClientResources.builder().reconnectDelay(Delay.constant(Duration.ofSeconds(1))).build();
        if (config.cluster()) {
            RedisClusterClient client = RedisClusterClient.create(resources, uris);
            client.setOptions(ClusterClientOptions.builder().autoReconnect(true).socketOptions(socket)
                    .timeoutOptions(timeouts).protocolVersion(ProtocolVersion.RESP2)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS).build());
            try {
                StatefulRedisClusterConnection<String, String> c = client.connect(StringCodec.UTF8);
                if (config.readFromReplicas()) {
                    c.setReadFrom(io.lettuce.core.ReadFrom.REPLICA_PREFERRED);
                }
                return new RedisConnection(config, () -> shutdown(client, resources), c, c.async(),
                        () -> client.connectPubSub(StringCodec.UTF8));
            } catch (RuntimeException e) {
                shutdown(client, resources);
                throw e;
            }
        }
        RedisClient client = RedisClient.create(resources);
        client.setOptions(ClientOptions.builder().autoReconnect(true).socketOptions(socket).timeoutOptions(timeouts)
                .protocolVersion(ProtocolVersion.RESP2)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS).build());
        try {
            StatefulRedisConnection<String, String> c = client.connect(StringCodec.UTF8, uris.getFirst());
            return new RedisConnection(config, () -> shutdown(client, resources), c, c.async(),
                    () -> client.connectPubSub(StringCodec.UTF8, uris.getFirst()));
        } catch (RuntimeException e) {
            shutdown(client, resources);
            throw e;
        }
    }

    private static void shutdown(io.lettuce.core.AbstractRedisClient client, ClientResources resources) {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }

    private static RedisURI uri(String node, RedisConfig config) {
        RedisURI uri = RedisURI.create(node);
        if (config.cluster() && config.password() != null) {
            io.lettuce.core.RedisCredentials credentials = io.lettuce.core.RedisCredentials.just(config.username(),
                    config.password());
            uri.setCredentialsProvider(io.lettuce.core.RedisCredentialsProvider.from(() -> credentials));
        }
        uri.setTimeout(config.responseTimeout());
        return uri;
    }

    public RedisConfig config() {
        return config;
    }

    /** Whether the connection is up now (Lettuce reconnects in the background after a drop). */
    public boolean isOpen() {
        return connection.isOpen();
    }

    /**
     * Sends one command; the future fails with the server's error or when no reply came within
     * {@code response_timeout}. In a cluster the command goes to the node that owns its first argument's slot.
     */
    public CompletableFuture<Object> command(String name, List<?> args) {
        CommandArgs<String, String> a = new CommandArgs<>(StringCodec.UTF8);
        boolean first = true;
        for (Object arg : args) {
            String s = text(arg);
            if (first) {
                a.addKey(s);
                first = false;
            } else {
                a.add(s);
            }
        }
        return send(name, a);
    }

    /**
     * Subscribes to {@code channel} on a connection of its own (a subscribed connection takes no other command),
     * which Lettuce reconnects and subscribes again after a drop; messages published meanwhile are not seen.
     * {@code onMessage} runs on Lettuce's event loop: it must not block. Closing the result unsubscribes.
     *
     * @throws io.lettuce.core.RedisException when the server cannot be reached now
     */
    public AutoCloseable subscribe(String channel, java.util.function.Consumer<String> onMessage) {
        StatefulRedisPubSubConnection<String, String> c = pubSub.get();
        c.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String ch, String message) {
                if (channel.equals(ch)) onMessage.accept(message);
            }
        });
        try {
            c.sync().subscribe(channel);
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        return c::close;
    }

    /** A script by its SHA-1 ({@code EVALSHA}), loaded with {@code EVAL} when the server does not have it yet. */
    public CompletableFuture<Object> eval(Script script, List<String> keys, List<?> args) {
        return send("EVALSHA", scriptArgs(script.sha1(), keys, args)).exceptionallyCompose(e -> {
            Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
            if (String.valueOf(cause.getMessage()).startsWith("NOSCRIPT")) {
                return send("EVAL", scriptArgs(script.source(), keys, args));
            }
            return CompletableFuture.failedFuture(cause);
        });
    }

    private static CommandArgs<String, String> scriptArgs(String scriptOrSha, List<String> keys, List<?> args) {
        CommandArgs<String, String> a = new CommandArgs<>(StringCodec.UTF8).add(scriptOrSha).add(keys.size());
        keys.forEach(a::addKey);
        args.forEach(x -> a.add(text(x)));
        return a;
    }

    private CompletableFuture<Object> send(String name, CommandArgs<String, String> args) {
        byte[] bytes = name.toUpperCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
        ProtocolKeyword keyword = new ProtocolKeyword() {
            @Override
            public byte[] getBytes() {
                return bytes;
            }

            @Override
            public String toString() {
                return name;
            }
        };
        try {
            return commands.dispatch(keyword, new AnyOutput(), args).toCompletableFuture()
                    .orTimeout(config.responseTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static String text(Object arg) {
        return switch (arg) {
            case null -> "";
            case Double d when d == Math.rint(d) && !Double.isInfinite(d) -> Long.toString(d.longValue());
            case Double d -> Double.toString(d);
            default -> arg.toString();
        };
    }

    @Override
    public void close() {
        try {
            connection.close();
            client.close();
        } catch (Exception e) {
            // closing: nothing left to do with it
        }
    }

    /** A Lua script for Redis with its SHA-1. */
    public record Script(String source, String sha1) {
        public static Script of(String source) {
            try {
                byte[] d = MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8));
                return new Script(source, HexFormat.of().formatHex(d));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Any RESP2 reply as Java values: arrays (nested) as lists, integers as Long, strings and statuses as String. */
    private static final class AnyOutput extends CommandOutput<String, String, Object> {
        private static final class Level {
            final List<Object> items;
            int remaining;

            Level(int count) {
                this.items = new ArrayList<>(count);
                this.remaining = count;
            }
        }

        private final Deque<Level> stack = new ArrayDeque<>();

        AnyOutput() {
            super(StringCodec.UTF8, null);
        }

        @Override
        public void set(ByteBuffer bytes) {
            add(bytes == null ? null : decodeString(bytes));
        }

        @Override
        public void set(long integer) {
            add(integer);
        }

        @Override
        public void set(double number) {
            add(number);
        }

        @Override
        public void set(boolean value) {
            add(value);
        }

        @Override
        public void multi(int count) {
            if (count < 0) {
                add(null);
                return;
            }
            Level level = new Level(count);
            if (count == 0) {
                add(level.items);
                return;
            }
            if (stack.isEmpty()) {
                output = level.items;
            } else {
                stack.peek().items.add(level.items);
            }
            stack.push(level);
        }

        private void add(Object value) {
            if (stack.isEmpty()) {
                output = value;
                return;
            }
            stack.peek().items.add(value);
            countDown();
        }

        private void countDown() {
            Level top = stack.peek();
            top.remaining--;
            while (top.remaining == 0) {
                stack.pop();
                top = stack.peek();
                if (top == null) return;
                top.remaining--; // the finished list (already added to its parent) is one of the parent's items
            }
        }
    }
}
