package dev.sluice.policy;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A policy file loaded into a pool of real Lua 5.4 states.
 *
 * <h2>Threading</h2>
 * A Lua state may be used by one thread at a time, so the policy keeps a pool of states
 * ({@link PolicyOptions#poolSize()}, default max(2, cores)). Each state has run the file's top-level
 * code, as KumoMTA does for each of its Lua contexts, so each has its own copy of every Lua global and
 * every registered handler. Each {@link #call} borrows one idle state for the duration of the event
 * and returns it afterwards; while every state is busy, callers wait. A slow handler therefore holds
 * only its own state and never stalls events running in the other states. Lua globals are not shared
 * between states: anything that must be seen process-wide (listeners started in {@code init}, caches)
 * has to live in Java objects, which is why init-like events go through {@link #runOnce}, which runs
 * them in exactly one state. (A {@code kumo.on} call made inside such an event therefore registers a
 * handler in that one state only; register handlers at the top level of the file.)
 * {@link #hasHandler} reflects the handlers registered by the top-level code.
 *
 * <p>{@link #call} blocks the calling thread; never call it from a Netty event loop, use
 * {@link #callAsync}, which runs the call on a small executor owned by the policy (one thread per
 * state). Java functions installed by {@link LuaModule}s run on whichever thread is borrowing a state,
 * concurrently across states.
 *
 * <p>Values crossing into Lua: String, Number, Boolean, null, Map (table), List (array table); results
 * coming back: null, Boolean, Long/Double, String, {@code List<Object>} for arrays and
 * {@code Map<String,Object>} for other tables (nested tables preserved).
 */
public final class Policy implements AutoCloseable {
    private final String file;
    private final List<LuaState> states;
    /** Idle states; after close, a single CLOSED lease that every waiting borrower passes on. */
    private final BlockingQueue<Lease> idle;
    private final Set<String> handlerNames;
    private final Set<String> ranOnce = new HashSet<>();
    private final ExecutorService executor;
    private final PrometheusRegistry registry;
    private final Gauge luaCount;
    private final Counter eventStarted;
    private final Histogram eventLatency;
    private volatile boolean closed;
    private final dev.sluice.policy.kumo.KumoLibrary library;

    private Policy(PolicyOptions opts, List<LuaState> states, PrometheusRegistry registry,
            dev.sluice.policy.kumo.KumoLibrary library) {
        this.library = library;
        this.file = opts.file().toString();
        this.states = List.copyOf(states);
        this.idle = new ArrayBlockingQueue<>(states.size());
        states.forEach(s -> idle.add(new Lease(s)));
        this.handlerNames = Set.copyOf(states.getFirst().handlerNames());
        this.registry = registry;
        this.luaCount = Gauge.builder().name("lua_count").help("the number of lua contexts currently alive").register(registry);
        this.eventStarted = Counter.builder().name("lua_event_started")
                .help("incremented each time a lua event callback starts").labelNames("event").register(registry);
        this.eventLatency = Histogram.builder().name("lua_event_latency")
                .help("how long a given lua event callback took, in seconds").labelNames("event").register(registry);
        luaCount.set(states.size());
        AtomicInteger n = new AtomicInteger();
        this.executor = Executors.newFixedThreadPool(states.size(), r -> {
            Thread t = new Thread(r, "sluice-lua-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Loads the file into {@code poolSize} states. Throws with {@code file:line: reason} when the file fails. */
    public static Policy load(PolicyOptions opts) throws PolicyException {
        int size = opts.effectivePoolSize();
        List<LuaState> states = new ArrayList<>(size);
        var library = new dev.sluice.policy.kumo.KumoLibrary();
        List<LuaModule> modules = library.modulesWith(opts.modules());
        try {
            for (int i = 0; i < size; i++) {
                states.add(LuaState.load(opts.file(), modules));
            }
        } catch (PolicyException | RuntimeException e) {
            states.forEach(LuaState::close);
            throw e;
        }
        PrometheusRegistry registry = opts.registry() == null ? new PrometheusRegistry() : opts.registry();
        try {
            return new Policy(opts, states, registry, library);
        } catch (RuntimeException e) { // e.g. lua_count already registered by a live policy
            states.forEach(LuaState::close);
            throw e;
        }
    }

    /** The policy file as given in the options. */
    public String file() {
        return file;
    }

    /** Where each {@code kumo.validation_failed()} call so far was made ({@code file:line}); empty when none. */
    public List<String> validationFailures() {
        return library.validationFailures();
    }

    public int poolSize() {
        return states.size();
    }

    /** Whether the file registered a handler for {@code event} at load time (as seen in the first state). */
    public boolean hasHandler(String event) {
        return handlerNames.contains(event);
    }

    /**
     * Runs the handler(s) of {@code event} in one borrowed state, blocking until a state is free and the
     * handler returns. Returns the converted result, or null when there is no handler.
     */
    public Object call(String event, Object... args) throws PolicyException {
        LuaState state = borrow();
        try {
            eventStarted.labelValues(event).inc();
            long start = System.nanoTime();
            try {
                return state.dispatch(event, args);
            } finally {
                eventLatency.labelValues(event).observe((System.nanoTime() - start) / 1e9);
            }
        } finally {
            idle.add(new Lease(state));
        }
    }

    /** {@link #call} on the policy's executor; completes exceptionally with {@link PolicyException}. */
    public CompletableFuture<Object> callAsync(String event, Object... args) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return call(event, args);
            } catch (PolicyException e) {
                throw new CompletionException(e);
            }
        }, executor);
    }

    /**
     * Runs an init-like event ({@code init}, {@code proxy_init}) in exactly one state, at most once per
     * policy: its side effects must land in Java objects (through {@link LuaModule} functions).
     *
     * @throws IllegalStateException when {@code event} already ran through this method
     */
    public void runOnce(String event, Object... args) throws PolicyException {
        synchronized (ranOnce) {
            if (!ranOnce.add(event)) {
                throw new IllegalStateException("event '" + event + "' already ran once");
            }
        }
        call(event, args);
    }

    private LuaState borrow() {
        if (closed) {
            throw new IllegalStateException("policy " + file + " is closed");
        }
        Lease lease;
        try {
            lease = idle.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a Lua state", e);
        }
        if (lease == Lease.CLOSED) {
            idle.add(Lease.CLOSED); // wake the next waiter too
            throw new IllegalStateException("policy " + file + " is closed");
        }
        return lease.state();
    }

    /**
     * Rejects new calls, lets running calls and callers already waiting for a state finish, then closes
     * every state and unregisters the metrics.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        executor.shutdown();
        for (int i = 0; i < states.size(); i++) {
            borrowForClose().close();
            luaCount.set(states.size() - i - 1);
        }
        idle.add(Lease.CLOSED);
        registry.unregister(luaCount);
        registry.unregister(eventStarted);
        registry.unregister(eventLatency);
    }

    private LuaState borrowForClose() {
        try {
            return idle.take().state();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while closing policy " + file, e);
        }
    }

    private record Lease(LuaState state) {
        static final Lease CLOSED = new Lease(null);
    }
}
