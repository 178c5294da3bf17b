package dev.sluice.policy.kumo.time;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.policy.kumo.LuaSnippets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TimeModuleTest {
    @TempDir
    Path dir;

    @Test
    void timeFieldsFormatsAndArithmetic() throws Exception {
        Object result = LuaSnippets.eval(dir,
                "local t = kumo.time.with_ymd_hms(2024, 2, 29, 23, 59, 58)",
                "assert(tostring(t) == '2024-02-29 23:59:58 UTC', tostring(t))",
                "assert(t.year == 2024 and t.month == 2 and t.day == 29 and t.hour == 23 and t.minute == 59 and t.second == 58)",
                "assert(t.unix_timestamp == 1709251198 and t.unix_timestamp_millis == 1709251198000)",
                "assert(t.rfc2822 == 'Thu, 29 Feb 2024 23:59:58 +0000', t.rfc2822)",
                "assert(t.rfc3339 == '2024-02-29T23:59:58+00:00')",
                "assert(t:format '%Y/%m/%d %H.%M.%S %a %b %j' == '2024/02/29 23.59.58 Thu Feb 060')",
                "local later = t + kumo.time.parse_duration '3 seconds'",
                "assert(tostring(later) == '2024-03-01 00:00:01 UTC')",
                "assert((later - t).seconds == 3 and later - t == kumo.time.parse_duration(3))",
                "assert(later > t and t == kumo.time.from_unix_timestamp(1709251198))",
                "assert(kumo.time.parse_rfc2822 'Thu, 29 Feb 2024 23:59:58 +0000' == t)",
                "assert(kumo.time.parse_rfc3339 '2024-03-01T01:59:58+02:00' == t)",
                "assert(kumo.time.from_unix_timestamp(1.5).unix_timestamp_millis == 1500)",
                "local d1, d2 = kumo.time.parse_duration(20), kumo.time.parse_duration '10 seconds'",
                "assert((d1 - d2).seconds == 10 and (d1 + d2).milliseconds == 30000)",
                "assert(kumo.time.parse_duration(-1.5).nanoseconds == -1500000000)",
                "kumo.on('test', function() return tostring(kumo.time.parse_duration '1h 30m 2s') end)");
        assertThat(result).isEqualTo("1h 30m 2s");
    }

    @Test
    void badTimesAreErrors() throws Exception {
        assertThat(LuaSnippets.loadError(dir, "kumo.time.parse_rfc3339 'yesterday'"))
                .isEqualTo(dir.resolve("policy.lua") + ":1: kumo.time.parse_rfc3339: invalid RFC 3339 time 'yesterday'");
        assertThat(LuaSnippets.loadError(dir, "local _ = kumo.time.with_ymd_hms(2023, 2, 29, 0, 0, 0)"))
                .startsWith(dir.resolve("policy.lua") + ":1: kumo.time.with_ymd_hms: invalid date or time: ");
    }

    @Test
    void nowSleepAndTimersRecordedInUserLuaLatency() throws Exception {
        var registry = new io.prometheus.metrics.model.registry.PrometheusRegistry();
        java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("policy.lua"), String.join("\n",
                "kumo.on('test', function()",
                "  local before = kumo.time.now()",
                "  kumo.time.sleep(0.05)",
                "  kumo.sleep(0)",
                "  local timer = kumo.time.start_timer 'explicit'",
                "  local took = timer:done()",
                "  do",
                "    local scoped <close> = kumo.time.start_timer 'scoped'",
                "  end",
                "  return { slept = (kumo.time.now() - before).seconds, took = took, unix = before.unix_timestamp }",
                "end)") + "\n");
        long start = java.time.Instant.now().getEpochSecond();
        try (var policy = dev.sluice.policy.Policy.load(new dev.sluice.policy.PolicyOptions(file, 1, java.util.List.of(), registry))) {
            @SuppressWarnings("unchecked")
            var r = (java.util.Map<String, Object>) policy.call("test");
            assertThat((Double) r.get("slept")).isGreaterThanOrEqualTo(0.05);
            assertThat((Double) r.get("took")).isGreaterThanOrEqualTo(0.0);
            assertThat((Long) r.get("unix")).isBetween(start, java.time.Instant.now().getEpochSecond());
            var histogram = registry.scrape().stream().filter(m -> m.getMetadata().getName().equals("user_lua_latency"))
                    .map(m -> (io.prometheus.metrics.model.snapshots.HistogramSnapshot) m).findFirst().orElseThrow();
            assertThat(histogram.getDataPoints()).extracting(d -> d.getLabels().get("label") + "=" + d.getCount())
                    .containsExactlyInAnyOrder("explicit=1", "scoped=1");
        }
    }

    @Test
    void sleepRefusesWhatIsNotADuration() throws Exception {
        assertThat(LuaSnippets.loadError(dir, "kumo.sleep('soon')"))
                .isEqualTo(dir.resolve("policy.lua") + ":1: kumo.sleep: argument #1 must be a number of seconds, got string");
        assertThat(LuaSnippets.loadError(dir, "kumo.time.sleep(-1)"))
                .isEqualTo(dir.resolve("policy.lua") + ":1: kumo.time.sleep: seconds must not be negative, got -1");
    }
}
