package dev.sluice.policy.throttle;

import dev.sluice.policy.CallDeadline;
import dev.sluice.policy.ConfigException;
import dev.sluice.policy.LuaModule;
import dev.sluice.policy.LuaObject;
import dev.sluice.policy.egress.ThrottleSpec;
import dev.sluice.policy.kumo.LuaArgs;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code kumo.make_throttle(name, spec)}, {@code kumo.configure_redis_throttles{…}}, and {@code kumo.redis.open{…}}
 * (also {@code require 'redis'}.open) over the policy's {@link Throttles}.
 */
public final class ThrottleModule implements LuaModule {
    private final Throttles throttles;

    public ThrottleModule(Throttles throttles) {
        this.throttles = throttles;
    }

    @Override
    public void install(Registrar r) {
        r.kumoFunction("make_throttle", args -> {
            String name = LuaArgs.string(args, 0, "kumo.make_throttle");
            String text = LuaArgs.string(args, 1, "kumo.make_throttle");
            ThrottleSpec spec;
            try {
                spec = ThrottleSpec.parse(text);
            } catch (IllegalArgumentException e) {
                throw new ConfigException("kumo.make_throttle: " + e.getMessage());
            }
            return new LuaThrottle(throttles, name, text, spec);
        });
        r.kumoFunction("configure_redis_throttles", args -> {
            throttles.configure(RedisConfig.parse(LuaArgs.get(args, 0), "kumo.configure_redis_throttles", true));
            return null;
        });
        r.function("kumo.redis", "open", args -> open(args, "kumo.redis.open"));
        r.function("redis", "open", args -> open(args, "redis.open"));
    }

    private Object open(List<Object> args, String function) {
        RedisConfig config = RedisConfig.parse(LuaArgs.get(args, 0), function, false);
        try {
            return new LuaRedisConnection(throttles.open(config));
        } catch (RuntimeException e) {
            throw new ConfigException(function + ": cannot connect to " + String.join(", ", config.nodes()) + ": "
                    + e.getMessage());
        }
    }

    /** The object {@code kumo.make_throttle} returns. */
    static final class LuaThrottle implements LuaObject {
        private final Throttles throttles;
        private final String name;
        private final String text;
        private final ThrottleSpec spec;

        LuaThrottle(Throttles throttles, String name, String text, ThrottleSpec spec) {
            this.throttles = throttles;
            this.name = name;
            this.text = text;
            this.spec = spec;
        }

        @Override
        public String typeName() {
            return "Throttle";
        }

        @Override
        public String display() {
            return "Throttle(" + name + ", " + text + ")";
        }

        @Override
        public Object index(Object key) {
            return switch (String.valueOf(key)) {
                case "name" -> name;
                case "throttle" -> LuaObject.method(this, a -> throttles.throttle(name, spec).toLua());
                case "sleep_if_throttled" -> LuaObject.method(this, a -> sleepIfThrottled());
                case "delay_message_if_throttled" -> LuaObject.method(this, a -> {
                    if (!(LuaArgs.get(a, 0) instanceof Delayable msg)) {
                        throw new ConfigException("throttle:delay_message_if_throttled: expected a message, got "
                                + LuaArgs.typeName(LuaArgs.get(a, 0)));
                    }
                    ThrottleResult result = throttles.throttle(name, spec);
                    if (!result.throttled()) return false;
                    msg.delayBy(result.retryAfter());
                    return true;
                });
                default -> null;
            };
        }

        /** Waits until the throttle lets the operation go (bounded by the running call's limit). */
        private boolean sleepIfThrottled() throws InterruptedException {
            boolean throttled = false;
            while (true) {
                ThrottleResult result = throttles.throttle(name, spec);
                if (!result.throttled()) return throttled;
                throttled = true;
                long wait = result.retryAfter().toNanos();
                long left = CallDeadline.remainingNanos();
                if (left < wait) {
                    TimeUnit.NANOSECONDS.sleep(left);
                    throw new ConfigException(CallDeadline.overrun());
                }
                TimeUnit.NANOSECONDS.sleep(wait);
            }
        }
    }

    /**
     * {@code kumo.redis.open}'s connection: {@code conn:query(cmd, ...)}. Connections are shared per configuration
     * and live as long as the policy ({@code close} is accepted and does nothing).
     */
    static final class LuaRedisConnection implements LuaObject {
        private final RedisConnection redis;

        LuaRedisConnection(RedisConnection redis) {
            this.redis = redis;
        }

        @Override
        public String typeName() {
            return "RedisConnection";
        }

        @Override
        public Object index(Object key) {
            return switch (String.valueOf(key)) {
                case "query" -> LuaObject.method(this, a -> {
                    String command = LuaArgs.string(a, 0, "conn:query");
                    List<Object> rest = a.subList(Math.min(1, a.size()), a.size());
                    try {
                        long left = Math.min(CallDeadline.remainingNanos(), redis.config().responseTimeout().toNanos() + 1_000_000_000L);
                        return redis.command(command, rest).get(left, TimeUnit.NANOSECONDS);
                    } catch (java.util.concurrent.ExecutionException e) {
                        throw new ConfigException("conn:query " + command + ": " + e.getCause().getMessage());
                    } catch (java.util.concurrent.TimeoutException e) {
                        throw new ConfigException("conn:query " + command + ": no reply within "
                                + redis.config().responseTimeout().toMillis() + " ms");
                    }
                });
                case "close" -> LuaObject.method(this, a -> null);
                default -> null;
            };
        }
    }
}
