package dev.sluice.policy;

import dev.sluice.policy.kumo.runtime.TaskModule;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The threads of {@code kumo.spawn_task}: each task gets a platform thread and a Lua state of its own, loaded from
 * the policy's code, outside the pool and not bounded by the call timeout; it fires its event once. A failure is
 * logged with the handler's {@code file:line: reason}. {@link #close} cancels every task (the Lua hook stops
 * running Lua code, an interrupt ends a sleep or a queue wait) and waits for them, bounded.
 */
final class PolicyTasks implements TaskModule.Launcher {
    private static final Logger LOG = LoggerFactory.getLogger(PolicyTasks.class);
    private static final String STOPPING = "task cancelled: the policy is stopping";

    private final Path path;
    private volatile byte[] code; // the policy's current code (a reload changes it)
    private final List<LuaModule> modules;
    private final Duration loadTimeout;
    private final AtomicInteger started = new AtomicInteger();
    private final Set<Task> running = ConcurrentHashMap.newKeySet();
    private volatile boolean closing;

    /** One task: its thread, and its state once loaded. */
    private static final class Task {
        final String event;
        volatile Thread thread;
        volatile LuaState state;

        Task(String event) {
            this.event = event;
        }
    }

    PolicyTasks(Path path, byte[] code, List<LuaModule> modules, Duration loadTimeout) {
        this.path = path;
        this.code = code;
        this.modules = modules;
        this.loadTimeout = loadTimeout;
    }

    /** Tasks spawned from now on load {@code code} (the policy was reloaded); running ones go on. */
    void reloaded(byte[] code) {
        this.code = code;
    }

    @Override
    public void launch(String event, Object args) {
        Task task = new Task(event);
        running.add(task);
        if (closing) {
            running.remove(task);
            throw new ConfigException("kumo.spawn_task: the policy is stopping; task '" + event + "' not started");
        }
        task.thread = Thread.ofPlatform().name("sluice-task-" + started.incrementAndGet() + "-" + event).daemon()
                .unstarted(() -> run(task, args));
        task.thread.start();
    }

    private void run(Task task, Object args) {
        LuaState state;
        try {
            state = LuaState.load(path, code, modules, loadTimeout);
        } catch (PolicyException | RuntimeException e) {
            LOG.error("task {}: cannot load the policy: {}", task.event, e.getMessage());
            running.remove(task);
            return;
        }
        task.state = state;
        try {
            if (closing) {
                return;
            }
            LOG.info("task {} started", task.event);
            state.dispatchUnbounded(task.event, new Object[] {args});
            LOG.info("task {} ended", task.event);
        } catch (PolicyException | RuntimeException e) {
            if (closing) {
                LOG.info("task {} stopped: the policy is stopping", task.event);
            } else {
                LOG.error("task {} failed: {}", task.event, e.getMessage());
            }
        } finally {
            running.remove(task);
            state.close();
        }
    }

    /** How many tasks are running (loading or running their handler). */
    int running() {
        return running.size();
    }

    /** Cancels every task and waits up to {@code wait} for them to end; a task blocked outside Lua is left behind. */
    void close(Duration wait) {
        closing = true;
        for (Task task : running) {
            LuaState state = task.state;
            if (state != null) {
                state.cancel(STOPPING);
            }
            Thread t = task.thread;
            if (t != null) {
                t.interrupt();
            }
        }
        long end = System.nanoTime() + wait.toNanos();
        for (Task task : running) {
            Thread t = task.thread;
            long left = end - System.nanoTime();
            if (t == null || left <= 0) {
                continue;
            }
            try {
                t.join(Duration.ofNanos(left));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        for (Task task : running) {
            LOG.warn("task {} did not stop within {} ms (blocked outside Lua); left behind", task.event, wait.toMillis());
        }
    }
}
