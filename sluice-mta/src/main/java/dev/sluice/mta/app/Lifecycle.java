package dev.sluice.mta.app;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MTA's components in the one order they start in, stopped in reverse: {@link #start} runs a component's start
 * and, once it returned, remembers its stop; {@link #stopAll} runs the stops of every component that started, the
 * last started first, whatever happened (a start that failed at component N leaves 1..N-1 to stop, and a stop that
 * fails is logged and the others still run). A component's start cleans up after itself when it throws. Constructors
 * of the components start no thread: their threads start in the start step here.
 */
final class Lifecycle {
    private static final Logger LOG = LoggerFactory.getLogger(Lifecycle.class);

    /** A start or a stop step. */
    @FunctionalInterface
    interface Step {
        void run() throws Exception;

        Step NONE = () -> {};
    }

    private record Started(String name, Step stop) {}

    private final Deque<Started> started = new ArrayDeque<>();
    /** "start NAME" and "stop NAME" in the order they happened (a few dozen entries at most). */
    private final List<String> history = new ArrayList<>();
    private boolean stopped;

    /**
     * Starts the component {@code name}; {@code stop} runs in {@link #stopAll} once the start returned.
     *
     * @throws IllegalStateException after {@link #stopAll}: nothing starts once the stop began
     */
    synchronized void start(String name, Step start, Step stop) throws Exception {
        if (stopped) throw new IllegalStateException("stopping: " + name + " does not start");
        start.run();
        started.push(new Started(name, stop));
        history.add("start " + name);
        LOG.debug("started {}", name);
    }

    /** Stops every started component, the last started first; never throws. Later calls do nothing. */
    synchronized void stopAll() {
        stopped = true;
        while (!started.isEmpty()) {
            Started s = started.pop();
            history.add("stop " + s.name());
            try {
                s.stop().run();
            } catch (Exception e) {
                LOG.warn("while stopping {}: {}", s.name(), e.toString());
            }
        }
    }

    /** What started and stopped so far, in order ("start spool", …, "stop spool"): for tests and debugging. */
    synchronized List<String> history() {
        return List.copyOf(history);
    }
}
