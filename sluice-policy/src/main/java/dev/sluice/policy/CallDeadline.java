package dev.sluice.policy;

import java.util.OptionalLong;

/**
 * The time limit of the policy call running on the current thread, for Java functions that wait ({@code kumo.sleep},
 * mpsc queue waits, an HTTP request): they wait no longer than the call may run, so the Lua hook can stop the call at its limit
 * instead of the state being abandoned. Set and cleared by {@link LuaState} around each bounded run.
 */
public final class CallDeadline {
    private record Bound(long deadline, LuaState state, boolean topLevel) {}

    /** The bounded Lua run on this thread; null outside one (tasks). */
    private static final ThreadLocal<Bound> BOUND = new ThreadLocal<>();

    private CallDeadline() {}

    static void set(long deadline, LuaState state, boolean topLevel) {
        BOUND.set(new Bound(deadline, state, topLevel));
    }

    /** Whether the Lua code running on this thread is a policy file's top level (a state being loaded). */
    public static boolean inTopLevel() {
        Bound b = BOUND.get();
        return b != null && b.topLevel();
    }

    static void clear() {
        BOUND.remove();
    }

    /** The running call's deadline ({@link System#nanoTime}), or empty outside a bounded run. */
    public static OptionalLong nanos() {
        Bound b = BOUND.get();
        return b == null ? OptionalLong.empty() : OptionalLong.of(b.deadline());
    }

    /** Nanoseconds left to the running policy call (0 once over); {@link Long#MAX_VALUE} when it has no limit. */
    public static long remainingNanos() {
        Bound b = BOUND.get();
        return b == null ? Long.MAX_VALUE : Math.max(0, b.deadline() - System.nanoTime());
    }

    /**
     * For a waiting function that reached the limit: marks the running call as over time (it fails as a timed-out
     * call even if the policy catches the error) and returns the error text to raise, {@code policy call exceeded N s}.
     */
    public static String overrun() {
        Bound b = BOUND.get();
        return b == null ? "policy call exceeded its time limit" : b.state().expire();
    }
}
