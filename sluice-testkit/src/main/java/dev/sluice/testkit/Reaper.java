package dev.sluice.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Remembers every process and namespace the testkit started, so a JVM shutdown hook can clean up
 * whatever a test forgot (or could not) close. Only things registered here are ever touched.
 */
final class Reaper {
    private static final Set<ProcessHandle> PROCESSES = ConcurrentHashMap.newKeySet();
    private static final Set<String> NAMESPACES = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(Reaper::reapAll, "sluice-testkit-reaper"));
    }

    private Reaper() {}

    static void track(ProcessHandle process) { PROCESSES.add(process); }

    static void untrack(ProcessHandle process) { PROCESSES.remove(process); }

    static void trackNamespace(String name) { NAMESPACES.add(name); }

    static void untrackNamespace(String name) { NAMESPACES.remove(name); }

    /** PIDs still alive among those the testkit started (for leak assertions). */
    static List<Long> livePids() {
        List<Long> pids = new ArrayList<>();
        for (ProcessHandle p : PROCESSES) {
            if (p.isAlive()) pids.add(p.pid());
        }
        return pids;
    }

    private static void reapAll() {
        for (ProcessHandle p : List.copyOf(PROCESSES)) {
            Processes.terminate(p);
        }
        for (String ns : List.copyOf(NAMESPACES)) {
            try {
                new ProcessBuilder("ip", "netns", "delete", ns).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
            } catch (Exception ignored) {
                // best effort at JVM exit
            }
        }
    }
}
