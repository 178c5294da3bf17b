package dev.sluice.policy.kumo.runtime;

import dev.sluice.policy.CallDeadline;
import dev.sluice.policy.ConfigException;
import dev.sluice.policy.LuaModule;
import dev.sluice.policy.kumo.LuaArgs;
import dev.sluice.policy.kumo.memoize.Memoizable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * {@code kumo.spawn_task{event_name, args?}}: runs the handler of {@code event_name} once, with {@code args}, in a
 * thread of its own with a Lua state of its own (loaded from the policy file), not bounded by the policy call
 * timeout; an error it raises is logged ({@code file:line: reason}) and ends the task. The call is checked at once
 * (a table with a string {@code event_name} that a top-level {@code kumo.on} handles, and data {@code args}), so a
 * mistake is reported at the caller's line; the task itself starts only once the MTA has started its background
 * work ({@link #start}): until then (and always under {@code sluice check}) requests wait, and after {@link #stop}
 * they fail.
 */
public final class TaskModule implements LuaModule {
    private static final Set<String> KEYS = Set.of("event_name", "args");

    /** Starts one task; implemented by the policy, which owns the threads and the Lua states. */
    @FunctionalInterface
    public interface Launcher {
        void launch(String event, Object args);
    }

    private record Request(String event, Object args) {}

    private final List<Request> pending = new ArrayList<>(); // guarded by this
    private Launcher launcher; // guarded by this; null until started
    private boolean stopped; // guarded by this
    private volatile Predicate<String> handled = event -> true;

    @Override
    public void install(Registrar r) {
        r.kumoFunction("spawn_task", args -> {
            spawn(LuaArgs.get(args, 0));
            return null;
        });
    }

    /** Which events have a handler registered by the policy's top-level code. */
    public void handlers(Predicate<String> handled) {
        this.handled = handled;
    }

    private void spawn(Object params) {
        if (!(params instanceof Map<?, ?> map)) {
            throw new ConfigException("kumo.spawn_task: argument #1 must be a table {event_name, args}, got "
                    + LuaArgs.typeName(params));
        }
        for (Object key : map.keySet()) {
            if (!KEYS.contains(String.valueOf(key))) {
                throw new ConfigException("kumo.spawn_task: unknown key '" + key + "'; expected event_name or args");
            }
        }
        if (!(map.get("event_name") instanceof String event) || event.isEmpty()) {
            throw new ConfigException("kumo.spawn_task: 'event_name' is required and must be a string, got "
                    + LuaArgs.typeName(map.get("event_name")));
        }
        if (CallDeadline.inTopLevel()) { // every Lua state runs the top level: a task's own state would spawn again
            throw new ConfigException("kumo.spawn_task: call it in the init event, not at the top level of the policy");
        }
        if (!handled.test(event)) {
            throw new ConfigException("kumo.spawn_task: no handler for event '" + event
                    + "' (register it with kumo.on at the top level of the policy)");
        }
        Object args = map.get("args");
        Memoizable.check(args, "kumo.spawn_task: args");
        Launcher now;
        synchronized (this) {
            if (stopped) {
                throw new ConfigException("kumo.spawn_task: the MTA is shutting down; task '" + event + "' not started");
            }
            now = launcher;
            if (now == null) {
                pending.add(new Request(event, args));
                return;
            }
        }
        now.launch(event, args);
    }

    /** Launches the tasks requested so far, and from now on each one when it is requested. */
    public void start(Launcher launcher) {
        List<Request> waiting;
        synchronized (this) {
            if (stopped || this.launcher != null) {
                return;
            }
            this.launcher = launcher;
            waiting = List.copyOf(pending);
            pending.clear();
        }
        waiting.forEach(r -> launcher.launch(r.event(), r.args()));
    }

    /** Refuses further requests (orderly shutdown). */
    public synchronized void stop() {
        stopped = true;
        pending.clear();
    }
}
