package dev.sluice.mta.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.policy.ConfigEpoch;
import dev.sluice.policy.LuaModule;
import dev.sluice.policy.throttle.Throttles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TSA's SetConfig / SetDomainConfig overrides shared by every node of a fleet, through the Redis of
 * {@code kumo.configure_redis_throttles}, so that one TSA action holds on every node: also on a node that does not
 * subscribe to the daemon, and while the daemon is down (each override still ends at its own expiry).
 *
 * <p>A node that subscribes to a Sluice TSA daemon hands the overrides it reads there
 * ({@code /sluice/config_overrides_v1}, every {@code config_monitor_interval}) to {@link #share}; they are written to
 * the Redis hash {@link #KEY}, one field per target (domain, {@code mx_rollup}, source, option name: several nodes
 * sharing the same override write the same field, and the one that lasts longer wins), the override as JSON with its
 * expiry; the hash expires with its last field. A write is announced on {@link #CHANNEL}; every node reads the hash
 * then, every {@link #RESYNC} and when it starts, and keeps the live overrides as a shaping file ({@link #file}, JSON:
 * per domain its {@code mx_rollup} and {@code sources.SOURCE.option}) that the shaping helper loads after its other
 * files. When that file changes (an override arrives, or one expires: checked every second) the configuration epoch
 * moves on, so that egress paths ask for their config again.
 *
 * <p>Redis unreachable: each node keeps the overrides it has until they expire, and writes what it learnt meanwhile
 * when Redis answers again (a Redis restarted empty gets them back). Overrides are never cancelled before their
 * expiry (the daemon has no such action), so there are no tombstones.
 */
public final class ConfigOverrideShare implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigOverrideShare.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String KEY = "sluice.tsa.config_overrides";
    static final String CHANNEL = "sluice.tsa.config_overrides.changed";
    static final Duration RESYNC = Duration.ofSeconds(5);
    private static final Duration TICK = Duration.ofSeconds(1);

    /** Target field → the override (JSON with {@code expires_ms}), live or not yet pruned. */
    private final Map<String, ObjectNode> overrides = new ConcurrentHashMap<>();
    private volatile Path file; // set once started
    private volatile SharedHash hash;
    // the rest only on the worker
    private ConfigEpoch epoch;
    private String written;
    private Map<String, Long> inForce = Map.of();

    /**
     * {@code kumo.api.admin.config_overrides.share(list)} (the shaping helper's monitor: the overrides of a daemon, as
     * its {@code /sluice/config_overrides_v1} lists them; true when the fleet shares them) and
     * {@code kumo.api.admin.config_overrides.overlay_file()} (the shaping file of the fleet's overrides, nil unless
     * shared).
     */
    public LuaModule luaModule() {
        return registrar -> {
            String module = AdminLuaModule.MODULE + "config_overrides";
            registrar.function(module, "share", args -> share(args.isEmpty() ? null : args.getFirst()));
            registrar.function(module, "overlay_file", args -> {
                Path f = file;
                return f == null ? null : f.toString();
            });
        };
    }

    /**
     * Starts sharing through the Redis of {@code throttles} when it shares its limits there (else does nothing and
     * returns false): writes {@code file} with what is in force in the fleet (bounded by Redis'
     * {@code response_timeout}) before it returns, then keeps it current.
     */
    public boolean startIfShared(Throttles throttles, ConfigEpoch epoch, Path file) throws IOException {
        if (!throttles.sharing()) {
            return false;
        }
        this.epoch = epoch;
        Files.createDirectories(file.toAbsolutePath().getParent());
        writeFile(file, "{}");
        written = "{}";
        hash = SharedHash.start(throttles, KEY, CHANNEL, new SharedHash.Lines("tsa overrides",
                "TSA overrides are shared with the fleet again", "the overrides this node has hold until they expire; "
                        + "those it learns meanwhile are shared when it answers again"),
                "mta-tsa-override-share", this::resync, RESYNC);
        hash.startNow(() -> {
            this.file = file;
            resync();
        }, "the first read of the fleet's TSA overrides");
        hash.every(TICK, this::refresh);
        return true;
    }

    /** Takes a daemon's overrides (Lua's list of tables); false when nothing is shared. */
    boolean share(Object list) {
        if (file == null) {
            return false;
        }
        List<?> items = switch (list) {
            case List<?> l -> l;
            case Map<?, ?> m when m.isEmpty() -> List.of(); // Lua's empty table
            case null, default -> throw new dev.sluice.policy.ConfigException(
                    "kumo.api.admin.config_overrides.share: argument #1 must be a list of overrides");
        };
        List<ObjectNode> fresh = new ArrayList<>();
        for (Object item : items) {
            ObjectNode o = parse(JSON.valueToTree(item));
            if (o != null && newer(o, overrides.get(field(o)))) {
                fresh.add(o);
            }
        }
        if (!fresh.isEmpty()) {
            hash.later(() -> {
                boolean changed = false;
                for (ObjectNode o : fresh) {
                    if (newer(o, overrides.get(field(o)))) {
                        overrides.put(field(o), o);
                        changed = true;
                        push(o);
                    }
                }
                if (changed) refresh();
            });
        }
        return true;
    }

    /** An override as the daemon lists it, with {@code expires_ms}; null (and a warning) when it is not one. */
    private static ObjectNode parse(JsonNode item) {
        try {
            ObjectNode o = (ObjectNode) item.deepCopy();
            for (String key : List.of("domain", "source", "name")) {
                if (!o.path(key).isTextual()) throw new IllegalArgumentException("no '" + key + "'");
            }
            if (!o.has("value")) throw new IllegalArgumentException("no 'value'");
            if (!o.has("expires_ms")) {
                o.put("expires_ms", Instant.parse(o.path("expires").asText()).toEpochMilli());
            }
            return o;
        } catch (RuntimeException e) {
            LOG.warn("tsa overrides: ignoring {}: {}", item, e.getMessage());
            return null;
        }
    }

    private static long expires(JsonNode o) {
        return o == null ? 0 : o.path("expires_ms").asLong();
    }

    /** Whether {@code o} is live and lasts longer than {@code held}. */
    private static boolean newer(JsonNode o, JsonNode held) {
        return expires(o) > System.currentTimeMillis() && expires(o) > expires(held);
    }

    /** The field of an override's target: domain, mx_rollup, source and option name, as a JSON array. */
    static String field(JsonNode o) {
        ArrayNode a = JSON.createArrayNode().add(o.path("domain").asText()).add(o.path("mx_rollup").asBoolean())
                .add(o.path("source").asText()).add(o.path("name").asText());
        return a.toString();
    }

    // ---- on the worker ----

    /** Adopts what the fleet has that lasts longer, writes what this node has that lasts longer, refreshes. */
    void resync() {
        if (hash.connected()) {
            try {
                Map<String, JsonNode> remote = new HashMap<>();
                for (var field : hash.readAll().entrySet()) {
                    try {
                        remote.put(field.getKey(), JSON.readTree(field.getValue()));
                    } catch (IOException e) {
                        LOG.debug("tsa overrides: unreadable field {}: {}", field.getKey(), e.getMessage());
                    }
                }
                remote.forEach((f, there) -> {
                    if (there instanceof ObjectNode o && newer(o, overrides.get(f))) overrides.put(f, o);
                });
                for (ObjectNode mine : List.copyOf(overrides.values())) {
                    if (newer(mine, remote.get(field(mine)))) push(mine);
                }
            } catch (Exception e) {
                hash.down(e);
            }
        }
        refresh();
    }

    private void push(ObjectNode o) {
        hash.write(field(o), o.toString(), "");
    }

    /** Drops expired overrides; rewrites the file and moves the epoch on when the live set changed. */
    void refresh() {
        long now = System.currentTimeMillis();
        overrides.values().removeIf(o -> expires(o) <= now);
        List<ObjectNode> live = new ArrayList<>(overrides.values());
        live.sort(Comparator.comparingLong(ConfigOverrideShare::expires).thenComparing(ConfigOverrideShare::field));
        Map<String, Long> current = new HashMap<>();
        ObjectNode doc = JSON.createObjectNode();
        for (ObjectNode o : live) {
            current.put(field(o), expires(o));
            ObjectNode block = doc.has(o.path("domain").asText()) ? (ObjectNode) doc.get(o.path("domain").asText())
                    : doc.putObject(o.path("domain").asText()).put("mx_rollup", o.path("mx_rollup").asBoolean());
            ObjectNode sources = block.has("sources") ? (ObjectNode) block.get("sources") : block.putObject("sources");
            ObjectNode source = sources.has(o.path("source").asText())
                    ? (ObjectNode) sources.get(o.path("source").asText()) : sources.putObject(o.path("source").asText());
            source.set(o.path("name").asText(), o.get("value"));
            if (!Long.valueOf(expires(o)).equals(inForce.get(field(o)))) {
                LOG.info("tsa overrides: {} until {} (shared by the fleet): {}", describe(o),
                        Instant.ofEpochMilli(expires(o)), o.path("reason").asText());
            }
        }
        inForce.keySet().stream().filter(f -> !current.containsKey(f)).forEach(f ->
                LOG.info("tsa overrides: the override of {} ended", f));
        inForce = current;
        String text = doc.toString();
        if (text.equals(written) || file == null) {
            return;
        }
        try {
            writeFile(file, text);
            written = text;
            epoch.bump("the TSA overrides shared by the fleet changed");
        } catch (IOException e) {
            LOG.error("tsa overrides: writing {} failed: {}", file, e.toString());
        }
    }

    private static String describe(JsonNode o) {
        return "SetConfig " + o.path("name").asText() + "=" + o.path("value") + " for "
                + (o.path("mx_rollup").asBoolean() ? "the site of " : "") + o.path("domain").asText() + " from source "
                + o.path("source").asText();
    }

    private static void writeFile(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    @Override
    public void close() {
        file = null;
        SharedHash h = hash;
        if (h != null) {
            h.close();
        }
    }
}
