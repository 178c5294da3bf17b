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

    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(60);

    public PeerSpec {
        command = List.copyOf(command);
        env = Map.copyOf(env);
    }
}
