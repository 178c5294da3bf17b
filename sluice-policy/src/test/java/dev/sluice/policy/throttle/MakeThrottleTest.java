package dev.sluice.policy.throttle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.policy.LuaObject;
import dev.sluice.policy.Policy;
import dev.sluice.policy.egress.ThrottleSpec;
import dev.sluice.policy.kumo.LuaSnippets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kumo.make_throttle(name, spec)}: KumoMTA's spec syntax, GCRA, and the three methods, node-local. */
class MakeThrottleTest {
    @TempDir
    Path dir;

    @Test
    void specsTakeKumoSyntaxWithBurstAndPeriodMultiples() {
        assertThat(ThrottleSpec.parse("60/minute,max_burst=1")).isEqualTo(new ThrottleSpec(60, Duration.ofMinutes(1), false, 1));
        assertThat(ThrottleSpec.parse("20/30minute")).isEqualTo(new ThrottleSpec(20, Duration.ofMinutes(30), false));
        assertThat(ThrottleSpec.parse("local:1_000/h")).isEqualTo(new ThrottleSpec(1000, Duration.ofHours(1), true));
        assertThat(Throttles.key("tenant-a", ThrottleSpec.parse("10,000/day"))).isEqualTo("tenant-a:10000:10000:86400");
        assertThat(Throttles.key("x", ThrottleSpec.parse("60/m,max_burst=1"))).isEqualTo("x:60:1:60");
        assertThatThrownBy(() -> ThrottleSpec.parse("10/s,max_burst=0")).hasMessageContaining("max_burst must be at least 1");
    }

    @Test
    void throttleAllowsTheBurstThenRefusesWithKumoFields() throws Exception {
        Object result = LuaSnippets.eval(dir,
                "kumo.on('test', function()",
                "  local t = kumo.make_throttle('sends', '5/minute')",
                "  local r = {}",
                "  for i = 1, 6 do r[i] = t:throttle() end",
                "  local one = kumo.make_throttle('paced', '60/minute,max_burst=1')",
                "  return { five = r[5], sixth = r[6], paced = { one:throttle().throttled, one:throttle().throttled },",
                "           same_name = kumo.make_throttle('sends', '5/minute'):throttle().throttled }",
                "end)");
        @SuppressWarnings("unchecked") Map<String, Object> r = (Map<String, Object>) result;
        @SuppressWarnings("unchecked") Map<String, Object> five = (Map<String, Object>) r.get("five");
        @SuppressWarnings("unchecked") Map<String, Object> sixth = (Map<String, Object>) r.get("sixth");
        assertThat(five).containsEntry("throttled", false).containsEntry("limit", 5L).containsEntry("remaining", 0L)
                .doesNotContainKey("retry_after");
        assertThat(sixth).containsEntry("throttled", true).containsEntry("remaining", 0L);
        // the next of 5/minute is due one interval (12 s) after the first
        assertThat(((Number) sixth.get("retry_after")).doubleValue()).isBetween(11.0, 12.0);
        assertThat(((Number) sixth.get("reset_after")).doubleValue()).isBetween(59.0, 60.0);
        assertThat(r.get("paced")).isEqualTo(List.of(false, true));
        assertThat(r.get("same_name")).isEqualTo(true); // one name, one throttle
    }

    @Test
    void sleepIfThrottledPacesTheCallerAtTheRate() throws Exception {
        long start = System.nanoTime();
        Object result = LuaSnippets.eval(dir,
                "kumo.on('test', function()",
                "  local slept = 0",
                "  for i = 1, 20 do",
                "    if kumo.make_throttle('pace', '10/s'):sleep_if_throttled() then slept = slept + 1 end",
                "  end",
                "  return slept",
                "end)");
        double seconds = (System.nanoTime() - start) / 1e9;
        assertThat((Long) result).isEqualTo(10L); // the burst of 10 went at once, the other 10 waited
        assertThat(seconds).isGreaterThanOrEqualTo(0.85);
    }

    /** A message for the test: records the delay it was given. */
    static final class Msg implements LuaObject, Delayable {
        Duration delay;

        @Override
        public String typeName() {
            return "Message";
        }

        @Override
        public Object index(Object key) {
            return null;
        }

        @Override
        public void delayBy(Duration d) {
            delay = d;
        }
    }

    @Test
    void delayMessageIfThrottledMovesTheMessageOnlyWhenThrottled() throws Exception {
        try (Policy policy = LuaSnippets.load(dir,
                "kumo.on('delay', function(msg)",
                "  return kumo.make_throttle('per-tenant', '2/minute'):delay_message_if_throttled(msg)",
                "end)")) {
            Msg a = new Msg(), b = new Msg(), c = new Msg();
            assertThat(policy.call("delay", a)).isEqualTo(false);
            assertThat(policy.call("delay", b)).isEqualTo(false);
            assertThat(policy.call("delay", c)).isEqualTo(true);
            assertThat(a.delay).isNull();
            assertThat(c.delay).isBetween(Duration.ofSeconds(29), Duration.ofSeconds(30));
        }
    }

    @Test
    void aBadSpecFailsAtTheCallWithFileAndLine() throws Exception {
        String error = LuaSnippets.loadError(dir,
                "local ok = kumo.make_throttle('a', '10/s')",
                "local bad = kumo.make_throttle('b', '10/fortnight')");
        assertThat(error).contains(dir.resolve("policy.lua") + ":2: kumo.make_throttle: invalid throttle '10/fortnight'");
    }
}
