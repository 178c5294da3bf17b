package dev.sluice.testkit;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Everything needed to launch one long-running peer.
 *
 * @param name      short kind name used for log file names ("smtp-sink", "dante", ...)
 * @param command   program and arguments (not yet wrapped for a namespace)
 * @param host      address the peer listens on
 * @param port      port the peer listens on
 * @param namespace network namespace to run in, or null
 * @param env       extra environment
 * @param workDir   working directory, or null for the JVM's
 * @param readiness when the peer counts as started
 * @param timeout   how long to wait for readiness before giving up
 */
public record PeerSpec(String name, List<String> command, String host, int port, NetNamespace namespace,
                       Map<String, String> env, Path workDir, Readiness readiness, Duration timeout) {

    /**
     * A generous bound, not an expectation: a peer that exits before it is ready fails at once, but a JVM peer
     * ({@code bin/sluice mta}) on a loaded 2-core machine, next to another test class's peers, has been seen to take
     * over a minute to start.
     */
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofMinutes(3);

    public PeerSpec {
        command = List.copyOf(command);
        env = Map.copyOf(env);
    }
}
