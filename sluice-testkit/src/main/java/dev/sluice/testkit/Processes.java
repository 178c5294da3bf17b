package dev.sluice.testkit;

import java.util.List;
import java.util.concurrent.TimeUnit;

/** Stopping a process we started, together with the children it forked (dante forks many). */
final class Processes {
    private static final long GRACE_MILLIS = 10_000;
    private static final long CHILD_GRACE_MILLIS = 1_000;

    private Processes() {}

    /**
     * SIGTERM, then SIGKILL after a grace period; then waits until the children that existed before
     * the kill are gone too. Children are ours: they descend from a process we started.
     */
    static void terminate(ProcessHandle process) {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        if (!awaitExit(process, GRACE_MILLIS)) {
            process.destroyForcibly();
            awaitExit(process, GRACE_MILLIS);
        }
        // Most children exit with their parent (dante's workers do); orphans such as a wrapper
        // script's background job get SIGTERM, then SIGKILL.
        for (ProcessHandle child : children) {
            if (awaitExit(child, CHILD_GRACE_MILLIS)) continue;
            child.destroy();
            if (!awaitExit(child, GRACE_MILLIS)) {
                child.destroyForcibly();
                awaitExit(child, GRACE_MILLIS);
            }
        }
        Reaper.untrack(process);
    }

    static boolean awaitExit(ProcessHandle process, long millis) {
        try {
            process.onExit().get(millis, TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return !process.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        } catch (java.util.concurrent.ExecutionException e) {
            return !process.isAlive();
        }
    }
}
