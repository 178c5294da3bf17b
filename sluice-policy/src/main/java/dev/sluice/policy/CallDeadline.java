package dev.sluice.policy;

import java.util.OptionalLong;

/**
 * The deadline ({@link System#nanoTime}) of the policy call running on this thread, for Java functions that block
 * (an HTTP request): waiting past it only gets the Lua state abandoned, so they should give up by then.
 */
public final class CallDeadline {
    private static final ThreadLocal<long[]> CURRENT = new ThreadLocal<>();

    private CallDeadline() {}

    /** The running call's deadline, or empty outside a policy call. */
    public static OptionalLong nanos() {
        long[] d = CURRENT.get();
        return d == null ? OptionalLong.empty() : OptionalLong.of(d[0]);
    }

    static void set(long deadline) {
        CURRENT.set(new long[] {deadline});
    }

    static void clear() {
        CURRENT.remove();
    }
}
