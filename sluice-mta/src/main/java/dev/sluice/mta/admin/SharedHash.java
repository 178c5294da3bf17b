package dev.sluice.mta.admin;

import dev.sluice.policy.throttle.RedisConfig;
import dev.sluice.policy.throttle.RedisConnection;
import dev.sluice.policy.throttle.Throttles;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the fleet's shares through the Redis of {@code kumo.configure_redis_throttles} have in common
 * ({@link AdminShare}, {@link ConfigOverrideShare}): a Redis hash of JSON fields, each write announced on a channel
 * whose messages from other nodes queue a resync; one worker thread that does all the Redis work; one warning per
 * outage and one line when Redis answers again. Every method but {@link #later}, {@link #startNow} and
 * {@link #close} runs on the worker.
 */
final class SharedHash implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SharedHash.class);

    /**
     * Writes a field unless it holds another entry than ARGV[3] (when given) or the tombstone of the entry written,
     * prunes expired fields, sets the hash's expiry to its last field's.
     */
    static final RedisConnection.Script PUT = RedisConnection.Script.of("""
            -- KEYS[1]: the hash; ARGV: field, value (JSON with expires_ms, and id for an entry), the id the field must
            -- hold now or '' for any. Returns 1 when written, 0 when the field holds another entry, or the tombstone
            -- of this one (a cancelled entry does not come back).
            local held = redis.call('HGET', KEYS[1], ARGV[1])
            if held then
              local h, v = cjson.decode(held), cjson.decode(ARGV[2])
              if ARGV[3] ~= '' and h.id ~= ARGV[3] then return 0 end
              if h.cancelled and not v.cancelled and h.id ~= nil and h.id == v.id then return 0 end
            end
            redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
            local clock = redis.call('TIME')
            local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
            local all, last = redis.call('HGETALL', KEYS[1]), 0
            for i = 1, #all, 2 do
              local expires = tonumber(cjson.decode(all[i + 1]).expires_ms) or 0
              if expires <= now then
                redis.call('HDEL', KEYS[1], all[i])
              elseif expires > last then
                last = expires
              end
            end
            if last > 0 then redis.call('PEXPIREAT', KEYS[1], last) end
            return 1
            """);

    /** The log lines: {@code what} begins each; {@code shared} follows "answers again: ", {@code alone} the cause. */
    record Lines(String what, String shared, String alone) {}

    private final Throttles throttles;
    private final RedisConfig config;
    private final String key;
    private final String channel;
    private final Lines lines;
    private final String node = UUID.randomUUID().toString();
    private final AtomicBoolean resyncQueued = new AtomicBoolean();
    private final ScheduledExecutorService worker;
    private final Runnable resync;
    // the rest only on the worker
    private RedisConnection redis;
    private AutoCloseable subscription;
    private boolean down;

    private SharedHash(Throttles throttles, String key, String channel, Lines lines, ScheduledExecutorService worker,
                       Runnable resync) {
        this.throttles = throttles;
        this.config = throttles.config();
        this.key = key;
        this.channel = channel;
        this.lines = lines;
        this.worker = worker;
        this.resync = resync;
    }

    /**
     * The hash {@code key} in the Redis of {@code throttles} (which must be {@linkplain Throttles#sharing sharing}),
     * announced on {@code channel}; {@code resync} runs on the worker when another node announces a write and
     * every {@code every}, starting one {@code every} from now.
     */
    static SharedHash start(Throttles throttles, String key, String channel, Lines lines, String threadName,
                            Runnable resync, Duration every) {
        ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name(threadName).daemon().factory());
        SharedHash hash = new SharedHash(throttles, key, channel, lines, worker, resync);
        worker.scheduleWithFixedDelay(resync, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
        return hash;
    }

    /** Runs {@code work} on the worker now and waits for it, bounded by Redis' {@code response_timeout}. */
    void startNow(Runnable work, String what) {
        try {
            worker.submit(work).get(config.responseTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.warn("{}: {} did not finish ({}); it goes on in the background", lines.what(), what, e.toString());
        }
    }

    /** Runs {@code work} on the worker every {@code every}. */
    void every(Duration every, Runnable work) {
        worker.scheduleWithFixedDelay(work, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Runs {@code work} on the worker; nothing once it is closed. */
    void later(Runnable work) {
        try {
            worker.execute(work);
        } catch (RejectedExecutionException closed) {
            // stopping
        }
    }

    /** Whether Redis can be asked: connects and subscribes when not yet done (false, and a warning, if it fails). */
    boolean connected() {
        if (redis != null) {
            return true;
        }
        try {
            RedisConnection c = throttles.open(config);
            subscription = c.subscribe(channel, from -> {
                if (!node.equals(from) && resyncQueued.compareAndSet(false, true)) {
                    later(() -> {
                        resyncQueued.set(false);
                        resync.run();
                    });
                }
            });
            redis = c;
            return true;
        } catch (RuntimeException e) {
            down(e);
            return false;
        }
    }

    /** The hash's fields and values, in Redis' order (when {@link #connected}). */
    Map<String, String> readAll() throws Exception {
        Map<String, String> all = new LinkedHashMap<>();
        if (call(redis.command("HGETALL", List.of(key))) instanceof List<?> flat) {
            for (int i = 0; i + 1 < flat.size(); i += 2) {
                all.put(String.valueOf(flat.get(i)), String.valueOf(flat.get(i + 1)));
            }
        }
        up();
        return all;
    }

    /**
     * Writes one field with {@link #PUT} and tells the other nodes: true when written, false when the field held
     * another entry than {@code onlyIfId} (or the value's tombstone), null when Redis is away.
     */
    Boolean write(String field, String value, String onlyIfId) {
        if (!connected()) {
            return null;
        }
        try {
            Object written = call(redis.eval(PUT, List.of(key), List.of(field, value, onlyIfId)));
            call(redis.command("PUBLISH", List.of(channel, node)));
            up();
            return Long.valueOf(1).equals(written);
        } catch (Exception x) {
            down(x);
            return null;
        }
    }

    private Object call(CompletableFuture<Object> f) throws Exception {
        return f.get(config.responseTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
    }

    /** Redis answered: says so once after an outage. */
    private void up() {
        if (down) {
            down = false;
            LOG.info("{}: Redis at {} answers again: {}", lines.what(), String.join(", ", config.nodes()),
                    lines.shared());
        }
    }

    /** Redis did not answer: says so once per outage. */
    void down(Exception e) {
        if (!down) {
            down = true;
            Throwable cause = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null
                    ? e.getCause() : e;
            LOG.warn("{}: Redis at {} is unreachable ({}): {}", lines.what(), String.join(", ", config.nodes()),
                    cause.toString(), lines.alone());
        }
    }

    @Override
    public void close() {
        worker.shutdownNow();
        try {
            worker.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        AutoCloseable s = subscription;
        if (s != null) {
            try {
                s.close();
            } catch (Exception ignored) {
                // closing
            }
        }
    }
}
