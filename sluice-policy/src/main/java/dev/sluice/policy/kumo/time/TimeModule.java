package dev.sluice.policy.kumo.time;

import dev.sluice.policy.CallDeadline;
import dev.sluice.policy.ConfigException;
import dev.sluice.policy.Durations;
import dev.sluice.policy.LuaModule;
import dev.sluice.policy.kumo.LuaArgs;
import java.math.BigDecimal;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.ObjDoubleConsumer;

/**
 * {@code kumo.time.now}, {@code from_unix_timestamp}, {@code with_ymd_hms}, {@code parse_rfc2822},
 * {@code parse_rfc3339} ({@link LuaTime}), {@code parse_duration} ({@link LuaTimeDelta}), {@code start_timer}
 * ({@link LuaTimer}) and {@code sleep(seconds)} (also as the deprecated {@code kumo.sleep}). Sleeping blocks the
 * Lua state's thread: in an ordinary event it ends at the policy call's time limit, where the call fails as any
 * overrunning call does, so long sleeps belong in tasks ({@code kumo.spawn_task}); a sleep ends with an error when
 * the MTA stops.
 */
public final class TimeModule implements LuaModule {
    private volatile ObjDoubleConsumer<String> latency = (label, seconds) -> { };

    /** Where {@code timer:done()} records (label, seconds): the {@code user_lua_latency} histogram. */
    public void recordLatencyWith(ObjDoubleConsumer<String> latency) {
        this.latency = latency;
    }

    @Override
    public void install(Registrar r) {
        r.function("kumo.time", "now", args -> new LuaTime(Instant.now()));
        r.function("kumo.time", "start_timer", args -> new LuaTimer(LuaArgs.string(args, 0, "kumo.time.start_timer"),
                (label, seconds) -> latency.accept(label, seconds)));
        r.function("kumo.time", "sleep", args -> sleep(args, "kumo.time.sleep"));
        r.kumoFunction("sleep", args -> sleep(args, "kumo.sleep"));
        r.function("kumo.time", "from_unix_timestamp", args -> new LuaTime(fromSeconds(LuaArgs.get(args, 0))));
        r.function("kumo.time", "with_ymd_hms", TimeModule::withYmdHms);
        r.function("kumo.time", "parse_rfc2822", args -> {
            String text = LuaArgs.string(args, 0, "kumo.time.parse_rfc2822");
            try {
                return new LuaTime(ZonedDateTime.parse(text.strip(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
            } catch (DateTimeParseException e) {
                throw new ConfigException("kumo.time.parse_rfc2822: invalid RFC 2822 time '" + text + "'");
            }
        });
        r.function("kumo.time", "parse_rfc3339", args -> {
            String text = LuaArgs.string(args, 0, "kumo.time.parse_rfc3339");
            String iso = text.strip();
            if (iso.length() > 10 && (iso.charAt(10) == ' ' || iso.charAt(10) == 't')) {
                iso = iso.substring(0, 10) + 'T' + iso.substring(11);
            }
            if (iso.endsWith("z")) {
                iso = iso.substring(0, iso.length() - 1) + 'Z';
            }
            try {
                return new LuaTime(OffsetDateTime.parse(iso).toInstant());
            } catch (DateTimeParseException e) {
                throw new ConfigException("kumo.time.parse_rfc3339: invalid RFC 3339 time '" + text + "'");
            }
        });
        r.function("kumo.time", "parse_duration", args -> new LuaTimeDelta(duration(LuaArgs.get(args, 0))));
    }

    private static Object sleep(List<Object> args, String function) throws InterruptedException {
        long nanos = LuaArgs.secondsAsNanos(args, 0, function);
        try {
            long left = CallDeadline.remainingNanos();
            TimeUnit.NANOSECONDS.sleep(Math.min(nanos, left));
            if (left < nanos) { // not past the running call's limit: the call fails there, at this line
                throw new ConfigException(CallDeadline.overrun());
            }
        } catch (InterruptedException e) {
            throw new InterruptedException(function + ": interrupted (the policy is stopping)");
        }
        return null;
    }

    private static Instant fromSeconds(Object value) {
        return switch (value) {
            case Long l -> Instant.ofEpochSecond(l);
            case Double d when Double.isFinite(d) -> {
                BigDecimal nanos = BigDecimal.valueOf(d).movePointRight(9);
                yield Instant.ofEpochSecond(0, nanos.longValue());
            }
            case null, default -> throw new ConfigException("kumo.time.from_unix_timestamp: expected a number of seconds, got "
                    + LuaArgs.typeName(value));
        };
    }

    private static Object withYmdHms(List<Object> args) {
        int[] v = new int[6];
        for (int i = 0; i < 6; i++) {
            v[i] = (int) LuaArgs.integer(args, i, "kumo.time.with_ymd_hms");
        }
        try {
            return new LuaTime(ZonedDateTime.of(v[0], v[1], v[2], v[3], v[4], v[5], 0, ZoneOffset.UTC).toInstant());
        } catch (DateTimeException e) {
            throw new ConfigException("kumo.time.with_ymd_hms: invalid date or time: " + e.getMessage());
        }
    }

    private static Duration duration(Object value) {
        return switch (value) {
            case Long l -> Duration.ofSeconds(l);
            case Double d when Double.isFinite(d) -> Duration.ofNanos(BigDecimal.valueOf(d).movePointRight(9).longValue());
            case String s when s.strip().startsWith("-") -> Durations.parse(s.strip().substring(1)).negated();
            case String s -> Durations.parse(s);
            case null, default -> throw new ConfigException("kumo.time.parse_duration: expected seconds or a duration string, got "
                    + LuaArgs.typeName(value));
        };
    }
}
