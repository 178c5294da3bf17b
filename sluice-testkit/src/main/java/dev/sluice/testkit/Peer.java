package dev.sluice.testkit;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A running peer process that this JVM started. {@link #close()} stops it (and the children it
 * forked) by PID; a shutdown hook stops it too if a test never gets that far.
 */
public abstract class Peer implements AutoCloseable {
    private final PeerSpec spec;
    private final Process process;
    private final Path log;

    protected Peer(PeerSpec spec) {
        Launcher.Launched launched = Launcher.launch(spec);
        this.spec = spec;
        this.process = launched.process();
        this.log = launched.log();
    }

    public final long pid() { return process.pid(); }

    /** Listen address; overridable for peers that learn it from their output. */
    public String host() { return spec.host(); }

    public int port() { return spec.port(); }

    /** host:port as an unresolved-free socket address (IP literal). */
    public final InetSocketAddress address() { return new InetSocketAddress(Net.inet(host()), port()); }

    /** "127.0.0.1:2525" or "[::1]:2525". */
    public final String hostPort() { return Net.hostPort(host(), port()); }

    /** The file holding the peer's stdout and stderr. */
    public final Path log() { return log; }

    public final String logText() { return PeerLogs.read(log); }

    protected final PeerSpec spec() { return spec; }

    public final Optional<NetNamespace> namespace() { return Optional.ofNullable(spec.namespace()); }

    public final boolean isAlive() { return process.isAlive(); }

    /** Processes forked by this peer that are still alive (dante's workers, for instance). */
    public final java.util.List<Long> childPids() {
        return process.descendants().filter(ProcessHandle::isAlive).map(ProcessHandle::pid).toList();
    }

    /** Stops the peer by PID (SIGTERM, SIGKILL after 10 s) and waits until it and its children are gone. Idempotent. */
    public void stop() {
        Processes.terminate(process.toHandle());
    }

    /** Sends SIGTERM, as an operator's {@code kill PID} would, without waiting (see {@link #awaitExit}). */
    public final void terminate() {
        process.destroy();
    }

    /**
     * Waits for the process to exit on its own and returns its exit code.
     *
     * @throws IllegalStateException if it is still running after {@code timeout}
     */
    public final int awaitExit(java.time.Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("still running after " + timeout + ": " + describe());
        }
        return process.exitValue();
    }

    @Override
    public final void close() {
        stop();
    }

    /** For assertion messages: what, where, and where its log is. */
    public String describe() {
        return spec.name() + " pid " + pid() + " on " + hostPort()
                + (spec.namespace() == null ? "" : " in netns " + spec.namespace().name()) + ", log " + log;
    }

    @Override
    public String toString() {
        return describe();
    }
}
