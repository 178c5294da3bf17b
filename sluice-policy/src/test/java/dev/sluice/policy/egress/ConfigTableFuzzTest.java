package dev.sluice.policy.egress;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.sluice.policy.ConfigException;
import dev.sluice.policy.Durations;
import dev.sluice.policy.LuaOpaque;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The conversion of Lua config tables into config records ({@code ConfigTable}/{@code ConfigSchema} and the
 * parsers built on them: make_queue_config, make_egress_path, make_egress_source, make_egress_pool, durations),
 * driven with values shaped exactly as the Lua bridge hands them over (nil-free maps with string keys, lists,
 * Long, Double including NaN and infinities, String, Boolean, opaque functions), keys drawn mostly from the
 * schemas. For any table: the parser returns a record or throws {@link ConfigException} with a message, never
 * any other exception; every Duration in the record tree is non-negative.
 */
class ConfigTableFuzzTest {
    private static final List<String> KEYS;
    private static final String[] STRINGS = {"30s", "1h 30m", "5m", "500ms", "2 days", "10/s", "100/h", "0", "-1",
            "1e400", "99999999999999999999", "127.0.0.1", "::1", "10.0.0.0/8", "192.0.2.1:1080", "[::1]:25",
            "mx.test", "Opportunistic", "Required", "Disabled", "Ipv4Only", "Ipv6Only", "Ipv4AndIpv6", "pool",
            "src", "user", "", " ", "1.5", "+3", "3 fortnights", "9223372036854775807s", "200000000000000 days"};

    static {
        Set<String> keys = new TreeSet<>();
        keys.addAll(QueueConfig.SCHEMA.supported());
        keys.addAll(QueueConfig.SCHEMA.ignored());
        keys.addAll(QueueConfig.PROTOCOL.supported());
        keys.addAll(QueueConfig.SMTP.supported());
        keys.addAll(EgressPath.SCHEMA.supported());
        keys.addAll(EgressPath.SCHEMA.ignored());
        keys.addAll(EgressSourceParser.KEYS);
        keys.addAll(EgressPool.KEYS);
        keys.addAll(EgressPool.ENTRY_KEYS);
        keys.addAll(MxHost.TABLE_KEYS);
        keys.addAll(SuspensionRule.SCHEMA.supported());
        KEYS = List.copyOf(keys);
    }

    @FuzzTest(maxDuration = "4s")
    void configTable(FuzzedDataProvider data) {
        int parser = data.consumeInt(0, 4);
        Object value = data.consumeBoolean() ? table(data, 0) : value(data, 0);
        Object result;
        try {
            result = switch (parser) {
                case 0 -> QueueConfig.parse(value);
                case 1 -> EgressPath.parse(value);
                case 2 -> EgressSourceParser.parse("make_egress_source", value);
                case 3 -> EgressPool.parse("make_egress_pool", value);
                default -> Durations.parse(value);
            };
        } catch (ConfigException e) {
            assertThat(e.getMessage()).isNotBlank();
            return;
        }
        assertThat(result).isNotNull();
        checkDurations(result, 0);
    }

    private static Map<String, Object> table(FuzzedDataProvider data, int depth) {
        Map<String, Object> map = new LinkedHashMap<>();
        int n = data.consumeInt(0, 6);
        for (int i = 0; i < n; i++) {
            String key = data.consumeInt(0, 9) == 0 ? data.consumeString(12) : KEYS.get(data.consumeInt(0, KEYS.size() - 1));
            map.put(key, value(data, depth + 1));
        }
        return map;
    }

    private static Object value(FuzzedDataProvider data, int depth) {
        int kind = data.consumeInt(0, depth > 3 ? 6 : 8);
        return switch (kind) {
            case 0 -> data.consumeLong();
            case 1 -> data.consumeLong(-2, 100_000);
            case 2 -> data.pickValue(new Double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
                    1e300, -0.0, 0.5, 1e19, 9.3e18});
            case 3 -> data.consumeRegularDouble();
            case 4 -> STRINGS[data.consumeInt(0, STRINGS.length - 1)];
            case 5 -> data.consumeString(30);
            case 6 -> data.consumeBoolean() ? Boolean.TRUE : new LuaOpaque("function");
            case 7 -> {
                List<Object> list = new ArrayList<>();
                int n = data.consumeInt(1, 4);
                for (int i = 0; i < n; i++) {
                    list.add(data.consumeBoolean() ? table(data, depth + 1) : value(data, depth + 1));
                }
                yield list;
            }
            default -> table(data, depth);
        };
    }

    /** Walks records, optionals, collections and maps; every Duration must be non-negative. */
    private static void checkDurations(Object o, int depth) {
        if (o == null || depth > 8) {
            return;
        }
        switch (o) {
            case Duration d -> assertThat(d.isNegative()).as("negative duration %s", d).isFalse();
            case Optional<?> opt -> opt.ifPresent(v -> checkDurations(v, depth + 1));
            case Collection<?> c -> c.forEach(v -> checkDurations(v, depth + 1));
            case Map<?, ?> m -> m.values().forEach(v -> checkDurations(v, depth + 1));
            case Record r -> {
                for (RecordComponent rc : r.getClass().getRecordComponents()) {
                    try {
                        rc.getAccessor().setAccessible(true);
                        checkDurations(rc.getAccessor().invoke(r), depth + 1);
                    } catch (ReflectiveOperationException e) {
                        throw new AssertionError(e);
                    }
                }
            }
            default -> { }
        }
    }
}
