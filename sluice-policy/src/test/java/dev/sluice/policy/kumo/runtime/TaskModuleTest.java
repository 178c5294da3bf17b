package dev.sluice.policy.kumo.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.sluice.policy.Policy;
import dev.sluice.policy.PolicyOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class TaskModuleTest {
    @TempDir
    Path dir;

    /** A generous call timeout: these calls wait for a task, which needs a Lua state of its own first. */
    private Policy load(String... lines) throws Exception {
        Path file = dir.resolve("policy.lua");
        Files.writeString(file, String.join("\n", lines) + "\n");
        return Policy.load(new PolicyOptions(file, 2, List.of(), null, Duration.ofSeconds(60)));
    }

    @Test
    void aTaskFiresItsEventOnceWithItsArgsInItsOwnStateOnlyOnceTheBackgroundIsStarted() throws Exception {
        try (Policy policy = load(
                "local me = string.format('%p', {})",
                "kumo.on('init', function()",
                "  kumo.spawn_task { event_name = 'my.task', args = { 'hello', 'there' } }",
                "end)",
                "kumo.on('my.task', function(args)",
                "  local q = kumo.mpsc.define 'out'",
                "  q:send(args[1] .. ' ' .. args[2])",
                "  q:send(me)",
                "end)",
                "kumo.on('poll', function() return kumo.mpsc.define('out'):try_recv() end)",
                "kumo.on('take', function() return kumo.mpsc.define('out'):recv() end)",
                "kumo.on('me', function() return me end)")) {
            policy.runOnce("init");
            // as under `sluice check`: init asked for the task, nothing started it
            assertThat(policy.call("poll")).isNull();
            assertThat(policy.runningTasks()).isZero();

            policy.startBackground();
            List<Object> got = List.of(policy.call("take"), policy.call("take"));
            assertThat(got.getFirst()).isEqualTo("hello there");
            // the task ran in a state of its own, neither of the pool's two
            Object pool1 = policy.call("me");
            Object pool2 = policy.call("me");
            assertThat(got.get(1)).isNotIn(pool1, pool2);
            Await.until("the task ends", () -> policy.runningTasks() == 0);
            assertThat(policy.call("poll")).isNull(); // fired once
        }
    }

    @Test
    void aFailingTaskIsLoggedWithFileAndLine() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger("dev.sluice.policy.PolicyTasks");
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try (Policy policy = load(
                "kumo.on('init', function() kumo.spawn_task { event_name = 'bad.task' } end)",
                "kumo.on('bad.task', function(args)",
                "  error('the task broke')",
                "end)")) {
            policy.runOnce("init");
            policy.startBackground();
            Await.until("the task's failure is logged", () -> List.copyOf(appender.list).stream()
                    .anyMatch(e -> e.getFormattedMessage().startsWith("task bad.task failed")));
            assertThat(List.copyOf(appender.list)).extracting(e -> e.getLevel() + " " + e.getFormattedMessage())
                    .contains("ERROR task bad.task failed: " + dir.resolve("policy.lua") + ":3: the task broke");
        } finally {
            logger.detachAppender(appender);
        }
    }

    @Test
    void aBadRequestIsReportedAtTheCallersLine() throws Exception {
        try (Policy policy = load(
                "kumo.on('a', function() kumo.spawn_task { event_name = 'nobody.handles' } end)",
                "kumo.on('b', function() kumo.spawn_task { event = 'x' } end)",
                "kumo.on('c', function() kumo.spawn_task { event_name = 'c', args = { f = print } } end)",
                "local ok, err = pcall(kumo.spawn_task, { event_name = 'a' })",
                "kumo.on('top', function() return err end)")) {
            String file = dir.resolve("policy.lua").toString();
            assertThatThrownBy(() -> policy.call("a")).hasMessage(file + ":1: kumo.spawn_task: no handler for event"
                    + " 'nobody.handles' (register it with kumo.on at the top level of the policy)");
            assertThatThrownBy(() -> policy.call("b"))
                    .hasMessage(file + ":2: kumo.spawn_task: unknown key 'event'; expected event_name or args");
            assertThatThrownBy(() -> policy.call("c")).hasMessageStartingWith(file + ":3: kumo.spawn_task: args is a function");
            assertThat(policy.call("top"))
                    .isEqualTo("kumo.spawn_task: call it in the init event, not at the top level of the policy");
        }
    }

    @Test
    void closingThePolicyStopsEveryTaskWhateverItIsDoing() throws Exception {
        Policy policy = load(
                "kumo.on('init', function()",
                "  for _, kind in ipairs { 'spin', 'sleep', 'recv', 'stubborn' } do",
                "    kumo.spawn_task { event_name = 'task', args = kind }",
                "  end",
                "end)",
                "kumo.on('task', function(kind)",
                "  kumo.mpsc.define('started'):send(kind)",
                "  if kind == 'spin' then while true do end end",
                "  if kind == 'sleep' then kumo.time.sleep(3600) end",
                "  if kind == 'recv' then kumo.mpsc.define('never'):recv() end",
                "  if kind == 'stubborn' then while true do pcall(kumo.sleep, 3600) end end",
                "end)",
                "kumo.on('started', function() return kumo.mpsc.define('started'):len() end)");
        try {
            policy.runOnce("init");
            policy.startBackground();
            Await.until("the four tasks run", () -> {
                try {
                    return Long.valueOf(4).equals(policy.call("started"));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(policy.runningTasks()).isEqualTo(4);
        } finally {
            policy.close(Duration.ofSeconds(60));
        }
        assertThat(policy.runningTasks()).isZero();
        assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
                .noneMatch(name -> name.startsWith("sluice-task-"));
    }

    @Test
    void waitingInAnEventEndsAtTheCallsTimeLimitAndKeepsTheState() throws Exception {
        Path file = dir.resolve("policy.lua");
        Files.writeString(file, String.join("\n",
                "kumo.on('nap', function() kumo.sleep(3600) end)",
                "kumo.on('wait', function() return kumo.mpsc.define('empty'):recv() end)",
                "kumo.on('ok', function() return 'fine' end)") + "\n");
        try (Policy policy = Policy.load(new PolicyOptions(file, 1, List.of(), null, Duration.ofMillis(300)))) {
            assertThatThrownBy(() -> policy.call("nap")).hasMessage(file + ":1: policy call exceeded 0.3 s")
                    .matches(e -> ((dev.sluice.policy.PolicyException) e).timedOut());
            assertThatThrownBy(() -> policy.call("wait")).hasMessage(file + ":2: policy call exceeded 0.3 s waiting for"
                    + " mpsc queue 'empty' (wait for a queue in a task: kumo.spawn_task)")
                    .matches(e -> ((dev.sluice.policy.PolicyException) e).timedOut());
            assertThat(policy.call("ok")).isEqualTo("fine"); // the one state was not abandoned
            assertThat(policy.exhausted()).isEmpty();
        }
    }
}
