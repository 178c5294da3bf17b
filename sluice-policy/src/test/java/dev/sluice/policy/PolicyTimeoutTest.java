package dev.sluice.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every policy call is bounded in time, and an overrun costs only that call. */
class PolicyTimeoutTest {
    /** How long a test waits for something that should happen within about a second. */
    private static final long GENEROUS = 60;

    @TempDir
    Path dir;

    private Policy load(Path file, int pool, Duration timeout, PrometheusRegistry registry, LuaModule... modules)
            throws PolicyException {
        return Policy.load(new PolicyOptions(file, pool, List.of(modules), registry, timeout));
    }

    /** The call's failure, waited for with a generous bound (a call that never ends fails the test). */
    private static PolicyException failure(CompletableFuture<Object> call) throws Exception {
        try {
            Object value = call.get(GENEROUS, TimeUnit.SECONDS);
            throw new AssertionError("the call returned " + value);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(PolicyException.class);
            return (PolicyException) e.getCause();
        }
    }

    @Test
    void anEndlessLoopFailsWithFileLineAndTheLimitAndTheStateServesTheNextCall() throws Exception {
        PrometheusRegistry registry = new PrometheusRegistry();
        Path file = PolicyFiles.write(dir, "p.lua",
                "kumo.on('smtp_server_message_received', function(msg)",
                "  while true do end",
                "end)",
                "kumo.on('ok', function() return 'fine' end)");
        Policy policy = load(file, 1, Duration.ofMillis(300), registry);
        try {
            PolicyException e = failure(policy.callAsync("smtp_server_message_received", "m"));
            assertThat(e.getMessage()).isEqualTo(file + ":2: policy call exceeded 0.3 s");
            assertThat(e.timedOut()).isTrue();
            assertThat(e.event()).isEqualTo("smtp_server_message_received");
            // the one state of the pool was stopped, not lost: it runs the next call
            assertThat(policy.callAsync("ok").get(GENEROUS, TimeUnit.SECONDS)).isEqualTo("fine");
            assertThat(policy.call("ok")).isEqualTo("fine");
            CounterSnapshot timeouts = (CounterSnapshot) metric(registry, "lua_event_timeout");
            assertThat(timeouts.getDataPoints()).singleElement().satisfies(p -> {
                assertThat(p.getLabels().get("event")).isEqualTo("smtp_server_message_received");
                assertThat(p.getValue()).isEqualTo(1.0);
            });
        } finally {
            closeWithin(policy);
        }
    }

    @Test
    void aPcallInThePolicyCannotSwallowTheOverrun() throws Exception {
        Path file = PolicyFiles.write(dir, "p.lua",
                "kumo.on('loop', function()",
                "  while true do",
                "    pcall(function() while true do end end)",
                "  end",
                "end)",
                "kumo.on('ok', function() return 'fine' end)");
        Policy policy = load(file, 1, Duration.ofMillis(300), null);
        try {
            PolicyException e = failure(policy.callAsync("loop"));
            assertThat(e.getMessage()).matches(java.util.regex.Pattern.quote(file.toString())
                    + ":[234]: policy call exceeded 0.3 s");
            assertThat(e.timedOut()).isTrue();
            assertThat(policy.call("ok")).isEqualTo("fine");
        } finally {
            closeWithin(policy);
        }
    }

    @Test
    void aLoopInACoroutineIsBoundedToo() throws Exception {
        Path file = PolicyFiles.write(dir, "p.lua",
                "kumo.on('wrapped', function()",
                "  coroutine.wrap(function() while true do end end)()",
                "end)",
                "kumo.on('created', function()",
                "  local co = coroutine.create(function()",
                "    while true do end",
                "  end)",
                "  local ok, err = coroutine.resume(co)",
                "  error(err, 0)",
                "end)",
                "kumo.on('ok', function() return 'fine' end)");
        Policy policy = load(file, 1, Duration.ofMillis(300), null);
        try {
            assertThat(failure(policy.callAsync("wrapped")).getMessage())
                    .contains(file + ":2: policy call exceeded 0.3 s");
            assertThat(failure(policy.callAsync("created")).getMessage())
                    .isEqualTo(file + ":6: policy call exceeded 0.3 s");
            assertThat(policy.call("ok")).isEqualTo("fine");
        } finally {
            closeWithin(policy);
        }
    }

    @Test
    void aPolicyCannotRemoveTheBound() throws Exception {
        Path file = PolicyFiles.write(dir, "p.lua",
                "kumo.on('unhook', function()",
                "  debug.sethook()",
                "  while true do end",
                "end)");
        Policy policy = load(file, 1, Duration.ofMillis(300), null);
        try {
            assertThat(failure(policy.callAsync("unhook")).getMessage())
                    .isEqualTo(file + ":2: debug.sethook is not available to a policy: Sluice bounds each policy"
                            + " call with it");
        } finally {
            closeWithin(policy);
        }
    }

    @Test
    void aCallBlockedOutsideLuaIsAbandonedAndItsStateReplaced() throws Exception {
        PrometheusRegistry registry = new PrometheusRegistry();
        CountDownLatch unblock = new CountDownLatch(1);
        LuaModule blocking = r -> r.function("test", "block", args -> {
            unblock.await(); // a Java function the hook cannot interrupt
            return null;
        });
        Path file = PolicyFiles.write(dir, "p.lua",
                "kumo.on('block', function() test.block() end)",
                "kumo.on('ok', function() return 'fine' end)");
        Policy policy = load(file, 1, Duration.ofMillis(200), registry, blocking);
        try {
            PolicyException e = failure(policy.callAsync("block"));
            assertThat(e.timedOut()).isTrue();
            assertThat(e.getMessage()).isEqualTo(file + ": policy call exceeded 0.2 s in block and did not stop"
                    + " (blocked outside Lua); its Lua state is abandoned and replaced");
            // the only state is still blocked, yet the pool serves calls again: a fresh state took its place
            assertThat(policy.callAsync("ok").get(GENEROUS, TimeUnit.SECONDS)).isEqualTo("fine");
            assertThat(gauge(registry, "lua_abandoned_count")).isEqualTo(1.0);
            assertThat(gauge(registry, "lua_count")).isEqualTo(1.0);
            unblock.countDown(); // the abandoned call returns and closes its state
            Awaitility.await().atMost(Duration.ofSeconds(GENEROUS))
                    .until(() -> gauge(registry, "lua_abandoned_count") == 0.0);
            assertThat(policy.call("ok")).isEqualTo("fine");
        } finally {
            unblock.countDown();
            closeWithin(policy);
        }
    }

    @Test
    void exhaustedWhileEveryStateIsHeldThenCallsFlowAgain() throws Exception {
        Path file = PolicyFiles.write(dir, "p.lua",
                "kumo.on('loop', function() while true do end end)",
                "kumo.on('ok', function() return 'fine' end)");
        Policy policy = load(file, 2, Duration.ofSeconds(3), null);
        try {
            assertThat(policy.exhausted()).isEmpty();
            CompletableFuture<Object> first = policy.callAsync("loop");
            CompletableFuture<Object> second = policy.callAsync("loop");
            CompletableFuture<Object> waiting = policy.callAsync("ok"); // no state free: waits
            Awaitility.await().atMost(Duration.ofSeconds(GENEROUS)).until(() -> policy.exhausted().isPresent()
                    || first.isDone());
            assertThat(policy.exhausted()).hasValueSatisfying(reason -> assertThat(reason)
                    .startsWith("policy " + file + ": all 2 Lua states busy for more than 1 s (loop ")
                    .contains(", loop "));
            assertThat(failure(first).timedOut()).isTrue();
            assertThat(failure(second).timedOut()).isTrue();
            assertThat(waiting.get(GENEROUS, TimeUnit.SECONDS)).isEqualTo("fine");
            assertThat(policy.exhausted()).isEmpty();
        } finally {
            closeWithin(policy);
        }
    }

    @Test
    void anEndlessLoopAtTheTopLevelFailsTheLoad() throws Exception {
        Path file = PolicyFiles.write(dir, "p.lua",
                "local n = 0",
                "while true do n = n + 1 end");
        CompletableFuture<Policy> loading = CompletableFuture.supplyAsync(() -> {
            try {
                return load(file, 1, Duration.ofMillis(200), null);
            } catch (PolicyException e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        assertThatThrownBy(() -> loading.get(GENEROUS, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(PolicyException.class)
                .hasMessage(file + ":2: loading the policy exceeded 0.2 s");
    }

    @Test
    void closeReturnsWhileACallIsStuckAndFailsIt() throws Exception {
        CountDownLatch unblock = new CountDownLatch(1);
        CountDownLatch blocked = new CountDownLatch(1);
        LuaModule blocking = r -> r.function("test", "block", args -> {
            blocked.countDown();
            unblock.await();
            return null;
        });
        Path file = PolicyFiles.write(dir, "p.lua", "kumo.on('block', function() test.block() end)");
        Policy policy = load(file, 1, Duration.ofSeconds(30), null, blocking);
        try {
            CompletableFuture<Object> stuck = policy.callAsync("block");
            blocked.await();
            Thread closer = new Thread(() -> policy.close(Duration.ofMillis(200)));
            closer.start();
            closer.join(TimeUnit.SECONDS.toMillis(GENEROUS));
            assertThat(closer.isAlive()).as("close still waiting for the stuck call").isFalse();
            assertThatThrownBy(() -> stuck.get(GENEROUS, TimeUnit.SECONDS)).cause()
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("is closed");
        } finally {
            unblock.countDown();
        }
    }

    /**
     * Closes the policy, failing rather than hanging when close does not return (an unbounded close waits for an
     * endless loop forever).
     */
    private static void closeWithin(Policy policy) throws InterruptedException {
        Thread closer = Thread.ofPlatform().daemon().start(policy::close);
        closer.join(TimeUnit.SECONDS.toMillis(GENEROUS));
        assertThat(closer.isAlive()).as("close() still waiting after " + GENEROUS + " s").isFalse();
    }

    private static double gauge(PrometheusRegistry registry, String name) {
        return ((GaugeSnapshot) metric(registry, name)).getDataPoints().getFirst().getValue();
    }

    private static io.prometheus.metrics.model.snapshots.MetricSnapshot metric(PrometheusRegistry registry,
                                                                               String name) {
        return registry.scrape().stream().filter(s -> s.getMetadata().getName().equals(name)).findFirst()
                .orElseThrow();
    }
}
