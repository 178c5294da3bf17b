package dev.sluice.tsa;

import dev.sluice.egress.dns.Resolvers;
import dev.sluice.egress.shaping.Shaping;
import dev.sluice.egress.shaping.ShapingModule;
import dev.sluice.net.http.HttpListenerConfig;
import dev.sluice.net.http.HttpResponse;
import dev.sluice.net.http.HttpServer;
import dev.sluice.net.http.WebSocketEndpoint;
import dev.sluice.net.http.WebSocketSession;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code sluice tsa}: KumoMTA's TSA protocol on one HTTP listener. {@code POST /publish_log_v1} takes one JSON log
 * record; {@code GET /subscribe_event_v1} (websocket) sends every live suspension and bounce on connect and each new
 * or extended one after; {@code /get_suspension_v1/suspended.json}, {@code /get_bounce_v1/bounced.json} and
 * {@code /get_config_v1/shaping.toml} show the state ({@code /sluice/config_overrides_v1}, Sluice's own, lists the
 * overrides as JSON with their reasons); {@code /tsa/status} answers while the daemon runs. Records are
 * evaluated one at a time on a worker thread; expired items are dropped every second. The deprecated
 * {@code subscribe_suspension_v1} sends suspensions only, under their old tags.
 */
public final class TsaDaemon implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TsaDaemon.class);
    static final String STATUS = "TSA Daemon OK";
    /** The SetConfig / SetDomainConfig overrides in force as JSON (a Sluice route; KumoMTA's daemon has none). */
    static final String OVERRIDES = "/sluice/config_overrides_v1";

    /**
     * @param listen       where the HTTP listener binds (port 0: any free port)
     * @param trustedHosts peers that may call the routes ({@code /tsa/status} is public)
     * @param shapingFiles the shaping files whose automation rules apply, in order
     * @param stateDir     the directory of the embedded store
     */
    public record Options(InetSocketAddress listen, List<String> trustedHosts, List<Path> shapingFiles, Path stateDir) {
        public Options {
            Objects.requireNonNull(listen, "listen");
            trustedHosts = List.copyOf(trustedHosts == null ? HttpListenerConfig.DEFAULT_TRUSTED_HOSTS : trustedHosts);
            shapingFiles = List.copyOf(shapingFiles);
            Objects.requireNonNull(stateDir, "stateDir");
            if (shapingFiles.isEmpty()) throw new IllegalArgumentException("give at least one shaping file");
        }
    }

    private final AutoCloseable resources;
    private final TsaStore store;
    private final TsaState state;
    private final List<HttpServer> http;
    /** Open subscriptions: session → the message it gets for an item (null: none). */
    private final Map<WebSocketSession, Function<TsaItem, String>> subscribers = new ConcurrentHashMap<>();
    private ScheduledExecutorService worker;
    private List<InetSocketAddress> addresses = List.of();

    private TsaDaemon(AutoCloseable resources, TsaStore store, TsaState state, List<HttpServer> http) {
        this.resources = resources;
        this.store = store;
        this.state = state;
        this.http = http;
    }

    /**
     * Loads the shaping files and the stored state, then starts listening.
     *
     * @throws dev.sluice.policy.ConfigException when a shaping file does not load
     * @throws IOException                       when the state directory cannot be opened (or another daemon has it)
     */
    public static TsaDaemon start(Options options) throws IOException {
        Resolvers resolvers = new Resolvers();
        try {
            ShapingFiles shaping = ShapingFiles.load(options.shapingFiles(), new ShapingModule(resolvers));
            HttpListenerConfig listener = HttpListenerConfig.plain(options.listen()).withTrustedHosts(options.trustedHosts());
            return start(List.of(listener), shaping, options.stateDir().toString(), resolvers);
        } catch (IOException | RuntimeException e) {
            resolvers.close();
            throw e;
        }
    }

    /**
     * Opens the state ({@code ":memory:"}: kept in memory only) and starts a listener per config.
     *
     * @param resources closed with the daemon (also when the start fails)
     */
    public static TsaDaemon start(List<HttpListenerConfig> listeners, Supplier<Shaping> shaping, String statePath,
                                  AutoCloseable resources) throws IOException {
        TsaStore store = null;
        try {
            store = ":memory:".equals(statePath) ? TsaStore.inMemory() : RocksTsaStore.open(Path.of(statePath));
            TsaState state = TsaState.open(shaping, store, Clock.systemUTC());
            List<HttpServer> servers = listeners.stream().map(HttpServer::new).toList();
            TsaDaemon daemon = new TsaDaemon(resources, store, state, servers);
            try {
                daemon.run();
            } catch (RuntimeException e) {
                daemon.close();
                throw e;
            }
            return daemon;
        } catch (IOException | RuntimeException e) {
            if (store != null) store.close();
            closeQuietly(resources);
            throw e;
        }
    }

    private void run() {
        worker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tsa-worker");
            t.setDaemon(true);
            return t;
        });
        worker.scheduleWithFixedDelay(this::prune, 1, 1, TimeUnit.SECONDS);
        List<InetSocketAddress> bound = new ArrayList<>();
        for (HttpServer server : http) {
            routes(server);
            bound.add(server.start());
        }
        addresses = List.copyOf(bound);
    }

    private void routes(HttpServer http) {
        http.route("POST", "/publish_log_v1", request -> {
            Map<?, ?> record;
            try {
                record = TsaItem.JSON.readValue(request.body(), Map.class);
                if (record == null) throw new IOException("null");
            } catch (IOException e) {
                return CompletableFuture.completedFuture(HttpResponse.text(400,
                        "publish_log_v1: the body is not a JSON log record: " + e.getMessage() + "\n"));
            }
            return CompletableFuture.supplyAsync(() -> publish(record), worker);
        });
        http.webSocket("/subscribe_event_v1", HttpServer.Access.TRUSTED, new Subscription(TsaDaemon::eventMessage));
        http.webSocket("/subscribe_suspension_v1", HttpServer.Access.TRUSTED, new Subscription(TsaDaemon::legacyMessage));
        http.get("/get_suspension_v1/suspended.json", HttpServer.Access.TRUSTED, r -> {
            var out = TsaItem.JSON.createObjectNode();
            var ready = out.putArray("ready_q");
            state.live(TsaItem.ReadyQSuspension.class).forEach(i -> ready.add(i.body()));
            var sched = out.putArray("sched_q");
            state.live(TsaItem.SchedQSuspension.class).forEach(i -> sched.add(i.body()));
            return HttpResponse.json(200, out.toString());
        });
        http.get("/get_bounce_v1/bounced.json", HttpServer.Access.TRUSTED, r -> {
            var out = TsaItem.JSON.createArrayNode();
            state.live(TsaItem.SchedQBounce.class).forEach(i -> out.add(i.body()));
            return HttpResponse.json(200, out.toString());
        });
        http.get("/get_config_v1/shaping.toml", HttpServer.Access.TRUSTED,
                r -> HttpResponse.text(200, ShapingOverlay.render(state.live(TsaItem.ConfigOverride.class))));
        // Sluice's own: the overrides with their rule and expiry, which the MTA's shaping helper logs as it applies them
        http.get(OVERRIDES, HttpServer.Access.TRUSTED, r -> {
            var out = TsaItem.JSON.createArrayNode();
            state.live(TsaItem.ConfigOverride.class).forEach(i -> out.add(i.body()));
            return HttpResponse.json(200, out.toString());
        });
        http.get("/tsa/status", HttpServer.Access.PUBLIC, r -> HttpResponse.text(200, STATUS));
    }

    private HttpResponse publish(Map<?, ?> record) {
        List<TsaItem> changed;
        try {
            changed = state.publish(record);
        } catch (IllegalArgumentException e) {
            return HttpResponse.text(400, "publish_log_v1: " + e.getMessage() + "\n");
        } catch (RuntimeException e) {
            log.error("publish_log_v1: {}", e.getMessage());
            return HttpResponse.text(500, "publish_log_v1: " + e.getMessage() + "\n");
        }
        for (TsaItem item : changed) {
            log.info("{} until {}: {}", item.tag(), item.expires(), item.body());
            subscribers.forEach((session, message) -> {
                String json = message.apply(item);
                if (json != null) session.send(json);
            });
        }
        return HttpResponse.text(200, "");
    }

    /** {@code subscribe_event_v1}: suspensions and bounces, tagged by kind (overrides are pulled, not pushed). */
    private static String eventMessage(TsaItem item) {
        return item instanceof TsaItem.ConfigOverride ? null : item.tagged();
    }

    /** The deprecated {@code subscribe_suspension_v1}: suspensions only, under the old tags ReadyQ and SchedQ. */
    private static String legacyMessage(TsaItem item) {
        String tag = switch (item) {
            case TsaItem.ReadyQSuspension r -> "ReadyQ";
            case TsaItem.SchedQSuspension s -> "SchedQ";
            default -> null;
        };
        if (tag == null) return null;
        var o = TsaItem.JSON.createObjectNode();
        o.set(tag, item.body());
        return o.toString();
    }

    /** A websocket subscription: every live item on connect, then each new or extended one. */
    private final class Subscription implements WebSocketEndpoint {
        private final Function<TsaItem, String> message;

        Subscription(Function<TsaItem, String> message) {
            this.message = message;
        }

        @Override
        public void onOpen(WebSocketSession session) {
            subscribers.put(session, message); // first, so that nothing created while the snapshot goes out is missed
            for (TsaItem item : state.live()) {
                String json = message.apply(item);
                if (json != null) session.send(json);
            }
            log.info("subscriber {} on {} connected", dev.sluice.net.IpLiterals.format(session.peer()), session.path());
        }

        @Override
        public void onClose(WebSocketSession session) {
            subscribers.remove(session);
            log.info("subscriber {} on {} gone", dev.sluice.net.IpLiterals.format(session.peer()), session.path());
        }
    }

    private void prune() {
        try {
            state.prune().forEach(item -> log.info("{} expired: {}", item.tag(), item.body()));
        } catch (RuntimeException e) {
            log.error("pruning expired items failed: {}", e.toString());
        }
    }

    /** The bound address of the first listener. */
    public InetSocketAddress address() {
        return addresses.getFirst();
    }

    public List<InetSocketAddress> addresses() {
        return addresses;
    }

    public TsaState state() {
        return state;
    }

    /** Ends the subscriptions (their MTAs reconnect to the next daemon), stops listening, then closes the store. */
    @Override
    public void close() {
        subscribers.keySet().forEach(WebSocketSession::close);
        http.forEach(HttpServer::stop);
        if (worker != null) {
            worker.shutdown();
            try {
                worker.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        store.close();
        closeQuietly(resources);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            if (c != null) c.close();
        } catch (Exception e) {
            log.warn("closing {}: {}", c, e.toString());
        }
    }
}
