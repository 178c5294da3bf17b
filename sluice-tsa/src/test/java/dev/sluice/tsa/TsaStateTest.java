package dev.sluice.tsa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.egress.dns.Resolver;
import dev.sluice.egress.dns.TestZoneResolver;
import dev.sluice.egress.shaping.Shaping;
import dev.sluice.egress.shaping.ShapingModule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rule evaluation of the TSA: Immediate and Threshold triggers, each action's item, expiry, the store. */
class TsaStateTest {
    static final String SITE = "(mta5|mta6|mta7)?.am0.yahoodns.example";
    static final String RULES = """
            # Rules of a test site: a Yahoo-style [TS04] deferral suspends at once; "too many connections"
            # three times within a minute slows the source down.
            ["yahoo.example"]
            mx_rollup = false

            [["yahoo.example".automation]]
            regex = '\\[TS04\\]'
            action = "Suspend"
            duration = "1 hour"

            [["yahoo.example".automation]]
            regex = "too many connections"
            action = {SetConfig = {name = "max_message_rate", value = "10/m"}}
            trigger = {Threshold = "3/min"}
            duration = "30 minutes"

            [["yahoo.example".automation]]
            regex = "tenant over quota"
            action = ["SuspendCampaign", "BounceTenant"]
            duration = "10 minutes"
            """;

    @TempDir
    Path dir;

    private final Resolver dns = TestZoneResolver.of(List.of(""), List.of());
    private final ShapingModule module = new ShapingModule(() -> dns);
    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-06T10:00:00Z"));

    static final class MutableClock extends Clock {
        Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private Shaping shaping() throws IOException {
        Path p = dir.resolve("shaping.toml");
        Files.writeString(p, RULES);
        return module.load(List.of(p.toString()), null);
    }

    /** A delivery log record as KumoMTA's log hook publishes it. */
    static Map<String, Object> record(Instant at, int code, String content, String queue) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("type", code >= 500 ? "Bounce" : "TransientFailure");
        r.put("id", "1d98076abbbc11ed940250ebf67f93bd");
        r.put("sender", "news@sender.example");
        r.put("recipient", "someone@yahoo.example");
        r.put("queue", queue);
        r.put("site", "pool1->" + SITE + "@smtp_client");
        r.put("size", 1024);
        r.put("response", Map.of("code", code, "enhanced_code", Map.of("class", code / 100, "subject", 7, "detail", 0),
                "content", content, "command", "."));
        r.put("timestamp", at.getEpochSecond());
        r.put("egress_source", "pool1");
        r.put("egress_pool", "pool");
        return r;
    }

    static Map<String, Object> deferral(Instant at) {
        return record(at, 421, "[TS04] Messages from 10.0.0.1 temporarily deferred due to unexpected volume", "yahoo.example");
    }

    @Test
    void anImmediateRuleSuspendsTheSourceOnTheSiteAtOnce() throws IOException {
        TsaState state = TsaState.open(() -> shapingOrThrow(), TsaStore.inMemory(), clock);

        assertThat(state.publish(record(clock.now, 250, "OK queued", "yahoo.example"))).isEmpty();
        List<TsaItem> changed = state.publish(deferral(clock.now));

        assertThat(changed).singleElement().isInstanceOfSatisfying(TsaItem.ReadyQSuspension.class, s -> {
            assertThat(s.siteName()).isEqualTo("pool1->" + SITE + "@smtp_client");
            assertThat(s.source()).isEqualTo("pool1");
            // the rule that fired: its pattern, trigger, action and duration, and the file and block it is written in
            assertThat(s.reason()).isEqualTo("automation rule: \\[TS04\\] (Immediate, Suspend for 1 hour, "
                    + dir.resolve("shaping.toml") + ": [[\"yahoo.example\".automation]] #1)");
            assertThat(s.expires()).isEqualTo(clock.now.plus(Duration.ofHours(1)));
        });
        assertThat(state.live()).containsExactlyElementsOf(changed);
        // the JSON a subscriber receives, in KumoMTA's externally tagged form
        assertThat(changed.getFirst().tagged()).startsWith("{\"ReadyQSuspension\":{\"rule_hash\":")
                .contains("\"expires\":\"2026-12-06T11:00:00Z\"");

        // a later deferral extends the suspension instead of adding one
        clock.advance(Duration.ofMinutes(5));
        assertThat(state.publish(deferral(clock.now))).singleElement()
                .extracting(TsaItem::expires).isEqualTo(clock.now.plus(Duration.ofHours(1)));
        assertThat(state.live()).hasSize(1);
    }

    @Test
    void aThresholdRuleFiresOnTheNthMatchWithinItsPeriodOnly() throws IOException {
        TsaState state = TsaState.open(() -> shapingOrThrow(), TsaStore.inMemory(), clock);
        var busy = (java.util.function.Supplier<Map<String, Object>>) () ->
                record(clock.now, 421, "4.7.0 too many connections from your IP", "yahoo.example");

        assertThat(state.publish(busy.get())).isEmpty();
        assertThat(state.publish(busy.get())).isEmpty();
        clock.advance(Duration.ofSeconds(90)); // the first two fall out of the one-minute window
        assertThat(state.publish(busy.get())).isEmpty();
        clock.advance(Duration.ofSeconds(10));
        assertThat(state.publish(busy.get())).isEmpty();
        clock.advance(Duration.ofSeconds(10));
        List<TsaItem> fired = state.publish(busy.get()); // third within a minute

        assertThat(fired).singleElement().isInstanceOfSatisfying(TsaItem.ConfigOverride.class, c -> {
            assertThat(c.domain()).isEqualTo("yahoo.example");
            assertThat(c.source()).isEqualTo("pool1");
            assertThat(c.name()).isEqualTo("max_message_rate");
            assertThat(c.value()).isEqualTo("10/m");
            assertThat(c.mxRollup()).isFalse();
        });
    }

    @Test
    void theOverlayLoadsAsAShapingFileAndOverridesTheSourcesPath() throws IOException {
        TsaState state = TsaState.open(() -> shapingOrThrow(), TsaStore.inMemory(), clock);
        for (int i = 0; i < 3; i++) {
            state.publish(record(clock.now, 421, "too many connections", "yahoo.example"));
        }
        String toml = ShapingOverlay.render(state.live(TsaItem.ConfigOverride.class));
        assertThat(toml).startsWith("# Generated by sluice tsa\n# Number of entries: 1\n");
        Path overlay = dir.resolve("overlay.toml");
        Files.writeString(overlay, toml);
        Shaping merged = module.load(List.of(overlay.toString()), null);
        assertThat(merged.egressPathConfig("yahoo.example", "pool1", SITE)).containsEntry("max_message_rate", "10/m");
        assertThat(merged.egressPathConfig("yahoo.example", "pool2", SITE)).doesNotContainKey("max_message_rate");
    }

    @Test
    void tenantActionsUseTheQueueNameAndSkipQueuesWithoutTenant() throws IOException {
        TsaState state = TsaState.open(() -> shapingOrThrow(), TsaStore.inMemory(), clock);
        assertThat(state.publish(record(clock.now, 452, "tenant over quota", "yahoo.example"))).isEmpty();

        List<TsaItem> changed = state.publish(record(clock.now, 452, "tenant over quota", "spring:acme@yahoo.example"));

        assertThat(changed).hasSize(2);
        assertThat(changed.get(0)).isInstanceOfSatisfying(TsaItem.SchedQSuspension.class, s -> {
            assertThat(s.tenant()).isEqualTo("acme");
            assertThat(s.campaign()).isEqualTo("spring");
            assertThat(s.domain()).isEqualTo("yahoo.example");
            assertThat(s.reason()).isEqualTo("automation rule: tenant over quota (Immediate, SuspendCampaign for 10 minutes, "
                    + dir.resolve("shaping.toml") + ": [[\"yahoo.example\".automation]] #3)"
                    + " tenant=acme domain=yahoo.example campaign=spring");
        });
        assertThat(changed.get(1)).isInstanceOfSatisfying(TsaItem.SchedQBounce.class, b -> {
            assertThat(b.tenant()).isEqualTo("acme");
            assertThat(b.campaign()).isNull();
            assertThat(b.expires()).isEqualTo(clock.now.plus(Duration.ofMinutes(10)));
        });
    }

    @Test
    void aLateRecordIsIgnoredAndItemsExpireFromStateAndStore() throws IOException {
        TsaStore store = TsaStore.inMemory();
        TsaState state = TsaState.open(() -> shapingOrThrow(), store, clock);

        // logged two hours ago: its one-hour suspension would already be over
        assertThat(state.publish(deferral(clock.now.minus(Duration.ofHours(2))))).isEmpty();

        state.publish(deferral(clock.now));
        assertThat(store.load()).hasSize(1);
        clock.advance(Duration.ofMinutes(59));
        assertThat(state.prune()).isEmpty();
        assertThat(state.live()).hasSize(1);
        clock.advance(Duration.ofMinutes(1));
        assertThat(state.live()).isEmpty();
        assertThat(state.prune()).hasSize(1);
        assertThat(store.load()).isEmpty();
    }

    @Test
    void aRestartKeepsWhatIsStillInForceAndDropsTheRest() throws IOException {
        TsaStore store = TsaStore.inMemory();
        TsaState before = TsaState.open(() -> shapingOrThrow(), store, clock);
        before.publish(deferral(clock.now));                                                   // 1 hour
        before.publish(record(clock.now, 452, "tenant over quota", "acme@yahoo.example"));     // 10 minutes

        clock.advance(Duration.ofMinutes(20));
        TsaState after = TsaState.open(() -> shapingOrThrow(), store, clock);

        assertThat(after.live()).singleElement().isInstanceOf(TsaItem.ReadyQSuspension.class);
        assertThat(store.load()).hasSize(1);
    }

    @Test
    void thresholdCountsSurviveARestart() throws IOException {
        TsaStore store = TsaStore.inMemory();
        TsaState before = TsaState.open(() -> shapingOrThrow(), store, clock);
        assertThat(before.publish(record(clock.now, 421, "too many connections", "yahoo.example"))).isEmpty();
        assertThat(before.publish(record(clock.now, 421, "too many connections", "yahoo.example"))).isEmpty();

        clock.advance(Duration.ofSeconds(20));
        TsaState after = TsaState.open(() -> shapingOrThrow(), store, clock);
        assertThat(after.publish(record(clock.now, 421, "too many connections", "yahoo.example")))
                .as("the third match within the minute, two of them before the restart").hasSize(1);

        clock.advance(Duration.ofMinutes(2));
        after.prune();
        assertThat(store.loadWindows()).as("matches out of their window are forgotten").isEmpty();
    }

    @Test
    void aRecordWithoutTimestampIsRefused() throws IOException {
        TsaState state = TsaState.open(() -> shapingOrThrow(), TsaStore.inMemory(), clock);
        Map<String, Object> r = deferral(clock.now);
        r.remove("timestamp");
        assertThatThrownBy(() -> state.publish(r)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no timestamp");
    }

    @Test
    void itemsReadBackFromTheirStoredForm() {
        Instant at = Instant.parse("2026-12-06T10:00:00Z");
        List<TsaItem> items = List.of(
                new TsaItem.ReadyQSuspension("ab", "s->site", "r", "src", at),
                new TsaItem.SchedQSuspension("x-ab", "t", "d", null, "r", at),
                new TsaItem.SchedQBounce("x-ab", "d", null, "c", "r", at),
                new TsaItem.ConfigOverride("x-ab", "d", true, "src", "max_message_rate", "5/s", "r", at));
        for (TsaItem item : items) {
            assertThat(TsaItem.parse(item.tagged())).isEqualTo(item);
        }
    }

    private Shaping loaded;

    private Shaping shapingOrThrow() {
        try {
            if (loaded == null) loaded = shaping();
            return loaded;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
