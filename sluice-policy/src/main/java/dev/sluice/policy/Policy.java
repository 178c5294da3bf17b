package dev.sluice.policy;

import dev.sluice.policy.kumo.KumoLibrary;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * them in exactly one state. ({@code kumo.on} inside any running handler is therefore an error, as in KumoMTA:
 * it would register a handler in that one state only; handlers are registered at the top level of the file.)
 * {@link #hasHandler} reflects the handlers registered by the top-level code.
 *
 * <p>The Lua code runs on threads owned by the policy; {@link #call} blocks its caller until the result is
 * there (never call it from a Netty event loop), {@link #callAsync} does not block at all, not even while every
 * state is busy. Java functions installed by {@link LuaModule}s run on whichever thread runs the state,
 * concurrently across states.
 *
 * <h2>Every call is bounded in time</h2>
 * A call (and the file's top-level code when a state is loaded) may run for {@link PolicyOptions#callTimeout()}
 * (default 5 s). Lua code still running then is stopped by a count hook with
 * {@code file:line: policy call exceeded N s}, naming the line that was running: that call fails with a
 * {@linkplain PolicyException#timedOut() timed-out} {@link PolicyException}, logged and counted in
 * {@code lua_event_timeout}, and the state goes back to the pool. A call blocked outside Lua (a C function such
 * as {@code os.execute}, a Java function) cannot be stopped: {@link #ABANDON_GRACE} after its limit its caller
 * gets the timed-out failure, the state is abandoned ({@code lua_abandoned_count}; closed by its thread if the
 * call ever returns) and a fresh state loaded from the same code takes its place, so the pool never stays
 * exhausted. A caller waits for a free state at most twice the limit plus the grace, then fails with
 * "no Lua state free". {@link #exhausted()} says when every state has been held longer than
 * {@link #busyBound()}, for the liveness check.
 *
 * <h2>Versions</h2>
 * {@link #reload} loads a new version of the file. A caller that must see one version across several events (an
 * ESMTP transaction, an HTTP inject request) takes a {@link Version} with {@link #pin()} and calls through it: its
 * calls run in states of that version even after a reload, until it is {@linkplain Version#close() released}. A
 * replaced version's states stay loaded while a {@link Version} holds it and are closed when the last holder lets
 * go ({@code lua_policy_versions} counts the loaded versions). {@link #call} and {@link #callAsync} run the current
 * version.
 *
 * <p>Values crossing into Lua: String, Number, Boolean, null, Map (table), List (array table); results
 * coming back: null, Boolean, Long/Double, String, {@code List<Object>} for arrays and
 * {@code Map<String,Object>} for other tables (nested tables preserved).
 */
public final class Policy implements AutoCloseable, PolicyCalls {
    private static final Logger LOG = LoggerFactory.getLogger(Policy.class);
    /** How long past its limit a call that the hook could not stop keeps its state before it is abandoned. */
    public static final Duration ABANDON_GRACE = Duration.ofSeconds(1);

    private static final int RUNNING = 0;
    private static final int DONE = 1;
    private static final int ABANDONED = 2;

    private final String file;
    private final Path path;
    /** The kumo library's modules then the caller's: what every state, a replacement too, installs. */
    private final List<LuaModule> modules;
    private final KumoLibrary library;
    private final Duration callTimeout;
    private final String overrun;
    private final int size;
    private final Set<String> ranOnce = new HashSet<>();
    /** Runs the Lua calls; grows past the pool size only by threads stuck in abandoned calls. */
    private final ExecutorService runners;
    /** How often the watchdog looks for overrunning calls and callers that waited too long for a state. */
    private final long scanNanos;
    private volatile Thread watchdog; // started by load(), ends with close()

    private final Object lock = new Object();
    // guarded by lock
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    /** Every live state (idle or lent, abandoned ones not counted) and the version it was loaded from. */
    private final java.util.IdentityHashMap<LuaState, Generation> owners = new java.util.IdentityHashMap<>();
    /** The version new calls and new pins run; a reload replaces it. Written under lock. */
    private volatile Generation current;
    /** Replaced versions still held by a {@link Version}: their states stay loaded until the last one lets go. */
    private final List<Generation> retired = new ArrayList<>();
    /** One reload at a time. */
    private final Object reloadLock = new Object();
    private boolean closing; // no new callers
    private boolean closed; // idle states closed; a state coming back closes

    private final Set<Call> running = ConcurrentHashMap.newKeySet();
    private final AtomicInteger abandoned = new AtomicInteger();

    private final PrometheusRegistry registry;
    private final Gauge luaCount;
    private final Gauge abandonedCount;
    private final Counter eventStarted;
    private final Counter eventTimeout;
    private final Histogram eventLatency;
    private final Gauge configEpoch;
    private final Gauge versionCount;
    private final Histogram userLuaLatency;
    private final Counter memoizeLookups;
    private final Counter memoizeHits;
    private final Counter memoizeMisses;
    private final Counter memoizePopulated;
    private final Gauge throttleRedisUp;
    private final Counter throttleRedisFallback;
    private final PolicyTasks tasks;
    private boolean backgroundStarted; // guarded by lock

    /** One call of an event in a lent state; its thread and the watchdog race to settle it (phase). */
    private final class Call {
        final String event;
        final LuaState state;
        final long started = System.nanoTime();
        final long deadline;
        final CompletableFuture<Object> result;
        final AtomicInteger phase = new AtomicInteger(RUNNING);

        Call(String event, LuaState state, CompletableFuture<Object> result) {
            this.event = event;
            this.state = state;
            this.deadline = started + callTimeout.toNanos();
            this.result = result;
        }
    }

    /**
     * A caller waiting for a free state until {@code deadline}: of {@code pinned}'s version, or of the current one
     * when null.
     */
    private record Waiter(CompletableFuture<LuaState> future, String event, long deadline, Generation pinned) {
        boolean takes(Generation g, Generation now) {
            return pinned == null ? g == now : pinned == g;
        }
    }

    /** One loaded version of the file: its code, handlers and states, and how many {@link Version}s hold it. */
    private static final class Generation {
        final long number;
        final byte[] code;
        final Set<String> handlerNames;
        final ArrayDeque<LuaState> idle = new ArrayDeque<>(); // guarded by the policy's lock
        int states; // live states of this version, idle or lent; guarded by lock
        int holds; // Versions not released yet; guarded by lock

        Generation(long number, byte[] code, Set<String> handlerNames) {
            this.number = number;
            this.code = code;
            this.handlerNames = Set.copyOf(handlerNames);
        }
    }

    /**
     * A hold on one version of the policy, taken by {@link #pin()}: its calls run that version's handlers, even after
     * a {@link #reload}, until {@link #close()}. Each hold must be closed once; closing it again does nothing.
     * Thread-safe.
     */
    public final class Version implements AutoCloseable, PolicyCalls {
        private final Generation generation;
        private final java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();

        private Version(Generation generation) {
            this.generation = generation;
        }

        /** Which load of the file this is: 0 for the first, then one more per reload. */
        public long number() {
            return generation.number;
        }

        @Override
        public boolean hasHandler(String event) {
            return generation.handlerNames.contains(event);
        }

        /** {@link Policy#call} in a state of this version. */
        @Override
        public Object call(String event, Object... args) throws PolicyException {
            if (released.get()) {
                throw new IllegalStateException(this + " was released: no call through it any more");
            }
            return Policy.this.call(generation, event, args);
        }

        /** {@link Policy#callAsync} in a state of this version. */
        @Override
        public CompletableFuture<Object> callAsync(String event, Object... args) {
            if (released.get()) {
                return CompletableFuture.failedFuture(
                        new IllegalStateException(this + " was released: no call through it any more"));
            }
            return Policy.this.callAsync(generation, event, args);
        }

        /** Another hold on the same version, for work that may outlive this one's holder; close it separately. */
        public Version share() {
            return hold(generation);
        }

        /** Lets go: when no one else holds a replaced version, its states are closed. */
        @Override
        public void close() {
            if (released.compareAndSet(false, true)) {
                unhold(generation);
            }
        }

        @Override
        public String toString() {
            return "policy " + file + " version " + generation.number;
        }
    }

    private Policy(PolicyOptions opts, byte[] code, List<LuaState> states, PrometheusRegistry registry,
            KumoLibrary library, List<LuaModule> modules) {
        this.library = library;
        this.file = opts.file().toString();
        this.path = opts.file();
        this.modules = modules;
        this.callTimeout = opts.callTimeout();
        this.overrun = "policy call exceeded " + seconds(callTimeout);
        this.size = states.size();
        Generation first = new Generation(0, code, states.getFirst().handlerNames());
        first.idle.addAll(states);
        first.states = states.size();
        states.forEach(s -> owners.put(s, first));
        this.current = first;
        this.registry = registry;
        this.luaCount = Gauge.builder().name("lua_count").help("the number of lua contexts currently alive").register(registry);
        this.abandonedCount = Gauge.builder().name("lua_abandoned_count")
                .help("lua contexts abandoned in a call that did not stop at the policy call timeout and has not returned yet")
                .register(registry);
        this.eventStarted = Counter.builder().name("lua_event_started")
                .help("incremented each time a lua event callback starts").labelNames("event").register(registry);
        this.eventTimeout = Counter.builder().name("lua_event_timeout")
                .help("lua event callbacks stopped or abandoned at the policy call timeout").labelNames("event")
                .register(registry);
        this.eventLatency = Histogram.builder().name("lua_event_latency")
                .help("how long a given lua event callback took, in seconds").labelNames("event").register(registry);
        this.versionCount = Gauge.builder().name("lua_policy_versions")
                .help("versions of the policy file loaded: the current one and replaced ones still held by a transaction")
                .register(registry);
        versionCount.set(1);
        this.configEpoch = Gauge.builder().name("config_epoch")
                .help("the policy's configuration epoch: bumped by kumo.bump_config_epoch() and the config monitor")
                .register(registry);
        this.userLuaLatency = Histogram.builder().name("user_lua_latency")
                .help("how long something user-defined took to run in your lua policy").labelNames("label")
                .register(registry);
        this.memoizeLookups = Counter.builder().name("memoize_cache_lookup_count")
                .help("how many times a memoize cache lookup was initiated for a given cache").labelNames("cache_name")
                .register(registry);
        this.memoizeHits = Counter.builder().name("memoize_cache_hit_count")
                .help("how many times a memoize cache lookup was a hit for a given cache").labelNames("cache_name")
                .register(registry);
        this.memoizeMisses = Counter.builder().name("memoize_cache_miss_count")
                .help("how many times a memoize cache lookup was a miss for a given cache").labelNames("cache_name")
                .register(registry);
        this.memoizePopulated = Counter.builder().name("memoize_cache_populated_count")
                .help("how many times a memoize cache lookup resulted in performing the work to populate the entry")
                .labelNames("cache_name").register(registry);
        library.memoize().countWith((event, cache) -> (switch (event) {
            case LOOKUP -> memoizeLookups;
            case HIT -> memoizeHits;
            case MISS -> memoizeMisses;
            case POPULATED -> memoizePopulated;
        }).labelValues(cache).inc());
        library.epoch().observe(configEpoch::set);
        library.time().recordLatencyWith((label, seconds) -> userLuaLatency.labelValues(label).observe(seconds));
        this.throttleRedisUp = Gauge.builder().name("throttle_redis_up")
                .help("1 while the Redis of kumo.configure_redis_throttles answers, 0 while limits apply this node's share")
                .register(registry);
        this.throttleRedisFallback = Counter.builder().name("throttle_redis_fallback_count")
                .help("throttle and connection-limit decisions made on this node's share because Redis was unreachable")
                .register(registry);
        library.throttles().observe(new dev.sluice.policy.throttle.Throttles.Observer() {
            @Override
            public void shared(boolean up) {
                throttleRedisUp.set(up ? 1 : 0);
            }

            @Override
            public void fallback() {
                throttleRedisFallback.inc();
            }
        });
        library.tasks().handlers(this::hasHandler);
        this.tasks = new PolicyTasks(path, code, modules, callTimeout);
        luaCount.set(states.size());
        AtomicInteger n = new AtomicInteger();
        this.runners = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "sluice-lua-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        // a tenth of the limit, between 10 ms and 250 ms: abandonment and waiting are that precise
        this.scanNanos = Math.clamp(callTimeout.toNanos() / 10, TimeUnit.MILLISECONDS.toNanos(10),
                TimeUnit.MILLISECONDS.toNanos(250));
    }

    /** Loads the file into {@code poolSize} states. Throws with {@code file:line: reason} when the file fails. */
    public static Policy load(PolicyOptions opts) throws PolicyException {
        int size = opts.effectivePoolSize();
        byte[] code = LuaState.read(opts.file()); // replacements of abandoned states run exactly this code
        List<LuaState> states = new ArrayList<>(size);
        var library = new KumoLibrary(opts.file());
        List<LuaModule> modules = library.modulesWith(opts.modules());
        try {
            for (int i = 0; i < size; i++) {
                states.add(LuaState.load(opts.file(), code, modules, opts.callTimeout()));
            }
        } catch (PolicyException | RuntimeException e) {
            states.forEach(LuaState::close);
            throw e;
        }
        PrometheusRegistry registry = opts.registry() == null ? new PrometheusRegistry() : opts.registry();
        Policy policy;
        try {
            policy = new Policy(opts, code, states, registry, library, modules);
        } catch (RuntimeException e) { // e.g. lua_count already registered by a live policy
            states.forEach(LuaState::close);
            throw e;
        }
        policy.watchdog = Thread.ofPlatform().name("sluice-lua-watchdog").daemon().start(policy::watch);
        return policy;
    }

    /** The policy file as given in the options. */
    public String file() {
        return file;
    }

    /** The policy's configuration epoch ({@code kumo.bump_config_epoch()}, the config monitor). */
    public ConfigEpoch configEpoch() {
        return library.epoch();
    }

    /**
     * What the config monitor does when a watched file changes, given the reason (by default it bumps the epoch);
     * {@code sluice mta} reloads the policy.
     */
    public void onConfigChange(java.util.function.Consumer<String> action) {
        library.monitor().onChange(action);
    }

    /**
     * Reads the file again and loads a fresh pool of states from it (their top-level code runs: handlers and
     * definitions as the file says now; {@code init} does not run again). When every state loaded, the new pool
     * takes over at once: calls from now on run the new code, {@link #hasHandler} answers for it, calls already
     * running finish in their old state (closed when it comes back), idle old states are closed; then the config
     * epoch's {@linkplain ConfigEpoch#reloaded generation} and epoch move on, so that cached configuration is
     * fetched again. When the file does not load, nothing changes and the {@code file:line: reason} is thrown.
     * One reload at a time; returns the new epoch.
     */
    public long reload(String reason) throws PolicyException {
        synchronized (reloadLock) {
            byte[] fresh = LuaState.read(path);
            List<LuaState> states = new ArrayList<>(size);
            try {
                for (int i = 0; i < size; i++) {
                    states.add(LuaState.load(path, fresh, modules, callTimeout));
                }
            } catch (PolicyException | RuntimeException e) {
                states.forEach(LuaState::close);
                throw e;
            }
            List<LuaState> old = List.of();
            synchronized (lock) {
                if (closing) {
                    states.forEach(LuaState::close);
                    throw new IllegalStateException("policy " + file + " is closed");
                }
                Generation replaced = current;
                Generation fresher = new Generation(replaced.number + 1, fresh, states.getFirst().handlerNames());
                fresher.states = states.size();
                states.forEach(s -> owners.put(s, fresher));
                current = fresher;
                if (replaced.holds > 0) {
                    retired.add(replaced); // its idle states stay for its holders
                } else {
                    old = drop(replaced);
                }
                counts();
            }
            tasks.reloaded(fresh);
            states.forEach(this::release); // to the callers waiting first
            old.forEach(LuaState::close);
            return library.epoch().reloaded(reason);
        }
    }

    /**
     * Starts the policy's background work, once {@code init} has run: the config monitor (scanning every
     * {@code monitorInterval}) and the tasks {@code kumo.spawn_task} asked for (those asked for later start at once).
     * The MTA calls it; {@code sluice check} does not, so nothing runs in the background there. {@link #close} stops
     * it all. At most once.
     */
    public void startBackground(Duration monitorInterval) {
        synchronized (lock) {
            if (closing || backgroundStarted) {
                return;
            }
            backgroundStarted = true;
        }
        library.monitor().start(monitorInterval);
        library.tasks().start(tasks);
        library.throttles().start();
    }

    /** {@link #startBackground(Duration)} with KumoMTA's 10 s scan interval. */
    public void startBackground() {
        startBackground(dev.sluice.policy.kumo.runtime.ConfigMonitor.DEFAULT_INTERVAL);
    }

    /** How many {@code kumo.spawn_task} tasks are running now. */
    public int runningTasks() {
        return tasks.running();
    }

    /** Where each {@code kumo.validation_failed()} call so far was made ({@code file:line}); empty when none. */
    public List<String> validationFailures() {
        return library.validationFailures();
    }

    public int poolSize() {
        return size;
    }

    /** How long one call may run. */
    /**
     * The throttle engine ({@code kumo.make_throttle}, and the dispatcher's rates and connection limits): shared
     * through Redis after {@code kumo.configure_redis_throttles} once {@link #startBackground} ran.
     */
    public dev.sluice.policy.throttle.Throttles throttles() {
        return library.throttles();
    }

    public Duration callTimeout() {
        return callTimeout;
    }

    /** Whether the file registered a handler for {@code event} at load time (as seen in the first state; after a
     * {@link #reload}, in the new file). */
    @Override
    public boolean hasHandler(String event) {
        return current.handlerNames.contains(event);
    }

    /**
     * A hold on the current version: calls through it run this version's handlers until it is closed, even after
     * a reload. Close every one (try-with-resources, or when the transaction it serves ends).
     */
    public Version pin() {
        synchronized (lock) {
            return hold(current);
        }
    }

    /** How many versions of the file are loaded: 1, plus the replaced ones a {@link Version} still holds. */
    public int versions() {
        synchronized (lock) {
            return 1 + retired.size();
        }
    }

    private Version hold(Generation g) {
        synchronized (lock) {
            g.holds++;
            return new Version(g);
        }
    }

    private void unhold(Generation g) {
        List<LuaState> close;
        synchronized (lock) {
            g.holds--;
            if (g.holds > 0 || g == current || !retired.remove(g)) {
                return;
            }
            close = drop(g);
            counts();
            lock.notifyAll();
        }
        LOG.info("{}: version {} released by its last holder; its Lua states are closed", file, g.number);
        close.forEach(LuaState::close);
    }

    /** Takes a replaced version's idle states out to be closed (lent ones close when they come back). Under lock. */
    private List<LuaState> drop(Generation g) {
        List<LuaState> out = new ArrayList<>(g.idle);
        g.idle.clear();
        out.forEach(owners::remove);
        g.states -= out.size();
        return out;
    }

    /** The gauges after states or versions came or went. Under lock. */
    private void counts() {
        luaCount.set(owners.size());
        versionCount.set(1 + retired.size());
    }

    /**
     * Runs the handler(s) of {@code event} in one borrowed state, blocking until a state is free and the
     * handler returns. Returns the converted result, or null when there is no handler.
     *
     * @throws PolicyException the handler failed, ran over the call timeout ({@link PolicyException#timedOut()}),
     *                         or no state became free in time
     */
    @Override
    public Object call(String event, Object... args) throws PolicyException {
        return call(null, event, args);
    }

    /** A call in {@code pinned}'s version, or in the current one when null. */
    private Object call(Generation pinned, String event, Object... args) throws PolicyException {
        CompletableFuture<LuaState> lease = borrow(pinned, event);
        LuaState state;
        try {
            state = lease.get();
        } catch (InterruptedException e) {
            if (!lease.cancel(false) && !lease.isCompletedExceptionally()) {
                release(lease.join()); // it arrived as we were interrupted
            }
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a Lua state", e);
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        }
        Call call = start(event, state, new CompletableFuture<>());
        try {
            runners.execute(() -> run(call, args));
        } catch (RejectedExecutionException closing) {
            run(call, args);
        }
        try {
            return call.result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the call goes on; its state comes back to the pool on its own
            throw new IllegalStateException("interrupted while waiting for policy call " + event, e);
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        }
    }

    /**
     * {@link #call} without blocking the caller; completes exceptionally with {@link PolicyException} (or
     * {@link IllegalStateException} once closed).
     */
    @Override
    public CompletableFuture<Object> callAsync(String event, Object... args) {
        return callAsync(null, event, args);
    }

    private CompletableFuture<Object> callAsync(Generation pinned, String event, Object... args) {
        CompletableFuture<Object> result = new CompletableFuture<>();
        borrow(pinned, event).whenComplete((state, error) -> {
            if (error != null) {
                result.completeExceptionally(error);
                return;
            }
            Call call = start(event, state, result);
            try {
                runners.execute(() -> run(call, args));
            } catch (RejectedExecutionException closing) {
                run(call, args);
            }
        });
        return result;
    }

    private static PolicyException rethrow(Throwable cause) {
        if (cause instanceof PolicyException e) {
            return e;
        }
        if (cause instanceof RuntimeException e) {
            throw e;
        }
        if (cause instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(cause);
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

    /**
     * Why no policy call can start now, or empty: every state of the pool has been held by a call for longer
     * than {@link #busyBound()} (or every state was abandoned and none could be replaced). The message names
     * the events holding them.
     */
    public Optional<String> exhausted() {
        int states;
        synchronized (lock) {
            if (!current.idle.isEmpty() || closing) {
                return Optional.empty();
            }
            states = current.states;
        }
        if (states == 0) {
            return Optional.of("policy " + file + ": no Lua state left (" + abandoned.get()
                    + " abandoned in calls that did not stop)");
        }
        long now = System.nanoTime();
        List<Call> busy = running.stream().filter(c -> c.phase.get() == RUNNING).toList();
        long bound = busyBound().toNanos();
        if (busy.size() < states || busy.stream().anyMatch(c -> now - c.started < bound)) {
            return Optional.empty();
        }
        return Optional.of("policy " + file + ": all " + states + " Lua states busy for more than "
                + seconds(busyBound()) + " ("
                + busy.stream().map(c -> c.event + " " + seconds(Duration.ofNanos(now - c.started)))
                        .collect(Collectors.joining(", ")) + ")");
    }

    /** One second, or half the call timeout if that is shorter: far longer than any normal call. */
    public Duration busyBound() {
        Duration half = callTimeout.dividedBy(2);
        return half.compareTo(Duration.ofSeconds(1)) < 0 ? half : Duration.ofSeconds(1);
    }

    /**
     * A free state of {@code pinned}'s version (the current one when null), now or once one comes back; fails after
     * twice the call timeout plus the grace.
     */
    private CompletableFuture<LuaState> borrow(Generation pinned, String event) {
        synchronized (lock) {
            if (closing) {
                return CompletableFuture.failedFuture(new IllegalStateException("policy " + file + " is closed"));
            }
            LuaState state = (pinned == null ? current : pinned).idle.poll();
            if (state != null) {
                return CompletableFuture.completedFuture(state);
            }
            Waiter waiter = new Waiter(new CompletableFuture<>(), event, System.nanoTime() + borrowWait().toNanos(),
                    pinned);
            waiters.add(waiter);
            return waiter.future();
        }
    }

    private Duration borrowWait() {
        return callTimeout.multipliedBy(2).plus(ABANDON_GRACE);
    }

    /**
     * Back to the next waiter for its version, or idle; closed once the policy is, or when its version was replaced
     * and no one holds it any more.
     */
    private void release(LuaState state) {
        while (true) {
            Waiter waiter;
            synchronized (lock) {
                Generation g = owners.get(state);
                if (closed || g == null || g != current && g.holds == 0) {
                    if (g != null) {
                        owners.remove(state);
                        g.states--;
                    }
                    counts();
                    lock.notifyAll();
                    waiter = null;
                } else {
                    waiter = null;
                    for (var it = waiters.iterator(); it.hasNext(); ) {
                        Waiter w = it.next();
                        if (w.takes(g, current)) {
                            it.remove();
                            waiter = w;
                            break;
                        }
                    }
                    if (waiter == null) {
                        g.idle.add(state);
                    }
                    lock.notifyAll();
                    if (waiter == null) {
                        return;
                    }
                }
            }
            if (waiter == null) {
                state.close();
                return;
            }
            if (waiter.future().complete(state)) {
                return;
            } // else that caller gave up (interrupted): try the next one
        }
    }

    private Call start(String event, LuaState state, CompletableFuture<Object> result) {
        Call call = new Call(event, state, result);
        running.add(call);
        return call;
    }

    /**
     * The watchdog thread: every scan, abandons the calls still running {@link #ABANDON_GRACE} past their limit
     * (the hook could not stop them) and fails the callers that waited too long for a state.
     */
    private void watch() {
        long grace = ABANDON_GRACE.toNanos();
        while (true) {
            synchronized (lock) {
                if (closed) {
                    return;
                }
            }
            LockSupport.parkNanos(this, scanNanos);
            long now = System.nanoTime();
            for (Call call : running) {
                if (now - call.deadline - grace >= 0) {
                    abandon(call);
                }
            }
            List<Waiter> expired = new ArrayList<>();
            synchronized (lock) {
                waiters.removeIf(w -> now - w.deadline() >= 0 && expired.add(w));
                if (!expired.isEmpty()) {
                    lock.notifyAll();
                }
            }
            for (Waiter w : expired) {
                w.future().completeExceptionally(new PolicyException(file + ": no Lua state free for "
                        + seconds(borrowWait()) + " to run " + w.event() + " (all " + size + " busy)", w.event()));
            }
        }
    }

    /** On a runner thread: the Lua code, then settle the call unless it was abandoned meanwhile. */
    private void run(Call call, Object[] args) {
        eventStarted.labelValues(call.event).inc();
        Object value = null;
        Throwable error = null;
        try {
            value = call.state.dispatch(call.event, args, call.deadline, overrun);
        } catch (PolicyException | RuntimeException | Error e) {
            error = e;
        }
        long took = System.nanoTime() - call.started;
        eventLatency.labelValues(call.event).observe(took / 1e9);
        if (!call.phase.compareAndSet(RUNNING, DONE)) {
            // abandoned: its caller has had its answer; the state was replaced
            abandonedCount.set(abandoned.decrementAndGet());
            LOG.warn("{}: the abandoned {} call returned after {}; its Lua state is closed", file, call.event,
                    seconds(Duration.ofNanos(took)));
            call.state.close();
            return;
        }
        running.remove(call);
        if (error instanceof PolicyException e && e.timedOut()) {
            eventTimeout.labelValues(call.event).inc();
            LOG.warn("{} ({} stopped at the policy call timeout)", e.getMessage(), call.event);
        }
        release(call.state);
        if (error == null) {
            call.result.complete(value);
        } else {
            call.result.completeExceptionally(error);
        }
    }

    /** The call is still running past its limit and the grace: the hook could not stop it. */
    private void abandon(Call call) {
        if (!call.phase.compareAndSet(RUNNING, ABANDONED)) {
            return;
        }
        running.remove(call);
        abandonedCount.set(abandoned.incrementAndGet());
        eventTimeout.labelValues(call.event).inc();
        String message = file + ": " + overrun + " in " + call.event
                + " and did not stop (blocked outside Lua); its Lua state is abandoned and replaced";
        LOG.error("{}", message);
        call.result.completeExceptionally(PolicyException.timedOut(message, call.event));
        replace(call.state);
    }

    /**
     * A fresh state, from its version's code, in place of an abandoned one (none for a replaced version no one
     * holds any more).
     */
    private void replace(LuaState abandonedState) {
        Generation gen;
        synchronized (lock) {
            gen = owners.remove(abandonedState);
            if (gen != null) {
                gen.states--;
            }
            counts();
            lock.notifyAll();
            if (closing || gen == null || gen != current && gen.holds == 0) {
                return;
            }
        }
        byte[] source = gen.code;
        try {
            runners.execute(() -> {
                LuaState state;
                try {
                    state = LuaState.load(path, source, modules, callTimeout);
                } catch (PolicyException | RuntimeException e) {
                    LOG.error("{}: could not replace an abandoned Lua state, {} left: {}", file, pooled(gen),
                            e.getMessage());
                    return;
                }
                synchronized (lock) {
                    if (closing || gen != current && gen.holds == 0) { // replaced meanwhile, and no longer held
                        state.close();
                        return;
                    }
                    owners.put(state, gen);
                    gen.states++;
                    counts();
                }
                release(state);
            });
        } catch (RejectedExecutionException closed) {
            // closing
        }
    }

    private int pooled(Generation g) {
        synchronized (lock) {
            return g.states;
        }
    }

    /** Idle states of every loaded version. Under lock. */
    private int idleStates() {
        int n = current.idle.size();
        for (Generation g : retired) {
            n += g.idle.size();
        }
        return n;
    }

    /** Closes waiting at most the call timeout plus the grace (how long a running call may still hold a state). */
    @Override
    public void close() {
        close(callTimeout.plus(ABANDON_GRACE));
    }

    /**
     * Rejects new calls, lets running calls and callers already waiting for a state finish for at most
     * {@code wait}, then closes every state and unregisters the metrics. A call still running then is abandoned:
     * its caller fails, its thread closes the state if the call ever returns.
     */
    public void close(Duration wait) {
        List<LuaState> toClose;
        List<Waiter> stranded;
        long end = System.nanoTime() + wait.toNanos();
        synchronized (lock) {
            if (closing) {
                return;
            }
            closing = true;
        }
        // the background first: no new tasks, no epoch bumps, queue waits end, tasks are cancelled
        library.tasks().stop();
        library.monitor().close();
        library.mpsc().closeAll();
        library.throttles().close();
        tasks.close(Duration.ofNanos(Math.max(0, end - System.nanoTime())));
        synchronized (lock) {
            while (idleStates() < owners.size() || !waiters.isEmpty()) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            closed = true;
            toClose = new ArrayList<>(drop(current));
            for (Generation g : retired) {
                toClose.addAll(drop(g));
            }
            retired.clear();
            stranded = new ArrayList<>(waiters);
            waiters.clear();
        }
        toClose.forEach(LuaState::close);
        IllegalStateException closedError = new IllegalStateException("policy " + file + " is closed");
        stranded.forEach(w -> w.future().completeExceptionally(closedError));
        for (Call call : running) {
            if (call.phase.compareAndSet(RUNNING, ABANDONED)) {
                running.remove(call);
                abandoned.incrementAndGet();
                LOG.warn("{}: {} still running at close; its Lua state is abandoned", file, call.event);
                call.result.completeExceptionally(closedError);
            }
        }
        runners.shutdown();
        if (watchdog != null) {
            LockSupport.unpark(watchdog);
        }
        registry.unregister(luaCount);
        registry.unregister(abandonedCount);
        registry.unregister(eventStarted);
        registry.unregister(eventTimeout);
        registry.unregister(eventLatency);
        registry.unregister(configEpoch);
        registry.unregister(versionCount);
        registry.unregister(userLuaLatency);
        registry.unregister(memoizeLookups);
        registry.unregister(memoizeHits);
        registry.unregister(memoizeMisses);
        registry.unregister(memoizePopulated);
        registry.unregister(throttleRedisUp);
        registry.unregister(throttleRedisFallback);
    }

    /** "5 s", "0.25 s". */
    static String seconds(Duration d) {
        return BigDecimal.valueOf(d.toMillis()).movePointLeft(3).stripTrailingZeros().toPlainString() + " s";
    }
}
