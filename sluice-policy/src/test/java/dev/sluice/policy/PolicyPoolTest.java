package dev.sluice.policy;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class PolicyPoolTest {
    @TempDir
    Path dir;

    @Test
    void slowHandlerInOneStateDoesNotStallAFastEventInAnother() throws Exception {
        List<String> finished = new CopyOnWriteArrayList<>();
        CountDownLatch slowStarted = new CountDownLatch(1);
        LuaModule probe = r -> {
            r.function("test", "started", args -> {
                slowStarted.countDown();
                return null;
            });
            r.function("test", "finished", args -> finished.add((String) args.getFirst()));
        };
        Path file = PolicyFiles.write(dir, "p.lua",
                "kumo.on('slow', function()",
                "  test.started()",
                "  local stop = os.clock() + 1.0",
                "  while os.clock() < stop do end", // busy in Lua for about a second of CPU time
                "  test.finished('slow')",
                "end)",
                "kumo.on('fast', function() test.finished('fast') end)");
        try (Policy policy = Policy.load(new PolicyOptions(file, 2, List.of(probe), null))) {
            CompletableFuture<Object> slow = policy.callAsync("slow");
            slowStarted.await();
            policy.call("fast");
            slow.get();
        }
        assertThat(finished).containsExactly("fast", "slow");
    }

    @Test
    void closeDrainsBusyAndWaitingCallersThenRejectsNewOnes() throws Exception {
        CountDownLatch slowStarted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        LuaModule gate = r -> r.function("test", "hold", args -> {
            slowStarted.countDown();
            release.await();
            return "released";
        });
        Path file = PolicyFiles.write(dir, "p.lua",
                "kumo.on('slow', function() return test.hold() end)",
                "kumo.on('fast', function() return 'fast' end)");
        Policy policy = Policy.load(new PolicyOptions(file, 1, List.of(gate), null));
        CompletableFuture<Object> slow = policy.callAsync("slow");
        slowStarted.await();
        CompletableFuture<Object> waiting = new CompletableFuture<>();
        Thread waiter = new Thread(() -> {
            try {
                waiting.complete(policy.call("fast"));
            } catch (Throwable e) {
                waiting.completeExceptionally(e);
            }
        });
        waiter.start();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofMinutes(1)).until(() -> waiter.getState() == Thread.State.WAITING);
        Thread closer = new Thread(policy::close);
        closer.start();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofMinutes(1)).until(() -> closer.getState() == Thread.State.TIMED_WAITING); // bounded by the call timeout
        release.countDown();
        closer.join();
        assertThat(slow.get()).isEqualTo("released");
        waiter.join();
        assertThat(waiting.join()).isEqualTo("fast"); // it was already waiting: served before the states close
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> policy.call("fast"))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void luaCountEqualsPoolSizeAndEventsAreCounted() throws Exception {
        PrometheusRegistry registry = new PrometheusRegistry();
        Path file = PolicyFiles.write(dir, "p.lua", "kumo.on('init', function() end)");
        try (Policy policy = Policy.load(new PolicyOptions(file, 3, List.of(), registry))) {
            assertThat(policy.poolSize()).isEqualTo(3);
            assertThat(((GaugeSnapshot) metric(registry, "lua_count")).getDataPoints().getFirst().getValue())
                    .isEqualTo(3.0);
            policy.call("init");
            policy.call("init");
            CounterSnapshot started = (CounterSnapshot) metric(registry, "lua_event_started");
            assertThat(started.getDataPoints()).singleElement().satisfies(p -> {
                assertThat(p.getLabels().get("event")).isEqualTo("init");
                assertThat(p.getValue()).isEqualTo(2.0);
            });
        }
        // closed: the metrics leave the registry, so a reloaded policy can register again
        assertThat(registry.scrape().stream().map(s -> s.getMetadata().getName())).doesNotContain("lua_count");
    }

    @Test
    void defaultPoolSizeIsAtLeastTwo() throws Exception {
        Path file = PolicyFiles.write(dir, "p.lua", "");
        try (Policy policy = Policy.load(PolicyOptions.of(file))) {
            assertThat(policy.poolSize()).isEqualTo(Math.max(2, Runtime.getRuntime().availableProcessors()));
        }
    }

    @Test
    void kumoLogFunctionsJoinArgumentsWithSpaces() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger("policy");
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            Path file = PolicyFiles.write(dir, "p.lua",
                    "kumo.log_info('hello', 1, 2.5, true, nil, 'end')",
                    "kumo.log_warn('careful')",
                    "kumo.log_error('bad', {} ~= nil)");
            try (Policy ignored = Policy.load(new PolicyOptions(file, 1, List.of(), null))) {
                assertThat(appender.list).extracting(e -> e.getLevel() + " " + e.getFormattedMessage())
                        .containsExactly("INFO hello 1 2.5 true nil end", "WARN careful", "ERROR bad true");
            }
        } finally {
            logger.detachAppender(appender);
        }
    }

    private static MetricSnapshot metric(PrometheusRegistry registry, String name) {
        return registry.scrape().stream().filter(s -> s.getMetadata().getName().equals(name)).findFirst().orElseThrow();
    }
}
