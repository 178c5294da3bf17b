package dev.sluice.policy.kumo.runtime;

import dev.sluice.policy.ConfigEpoch;
import dev.sluice.policy.ConfigException;
import dev.sluice.policy.kumo.fs.Glob;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * KumoMTA's configuration monitoring: the files matched by a list of globs ({@code kumo.set_config_monitor_globs})
 * are hashed (names and contents, SHA-256) every {@link #DEFAULT_INTERVAL}; when the hash differs from the previous
 * scan's, the {@link ConfigEpoch} is bumped (in {@code sluice mta} the policy is reloaded instead: {@link #onChange}).
 * Polling, not inotify, as KumoMTA does (globs cannot be watched, and inotify does not cross every container mount). Unlike KumoMTA the first scan only records the state (KumoMTA
 * bumps at start, emptying caches the {@code init} event has just filled).
 *
 * <p>The default glob is Sluice's equivalent of KumoMTA's {@code /opt/kumomta/etc/**}{@code /*.{lua,json,toml,yaml}}:
 * the same file kinds anywhere below the directory of the policy file ({@link #defaultGlobs}).
 *
 * <p>The scanning thread is started by {@link #start} (the MTA does it once {@code init} has run; {@code sluice
 * check} never does) and ends with {@link #close}.
 */
public final class ConfigMonitor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigMonitor.class);
    /** How often the globs are evaluated and the files hashed: KumoMTA's 10 seconds. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);

    private final ConfigEpoch epoch;
    private volatile List<String> globs;
    private volatile java.util.function.Consumer<String> onChange;
    private final Object scanLock = new Object();
    private String lastHash; // guarded by scanLock; null before the first scan
    private volatile boolean closed;
    private Thread thread; // guarded by this

    public ConfigMonitor(ConfigEpoch epoch, List<String> globs) {
        this.epoch = epoch;
        this.globs = List.copyOf(globs);
        this.onChange = epoch::bump;
    }

    /**
     * What a change of the watched files does, given the reason: bumps the epoch unless told otherwise (a policy
     * reload, which bumps it when the new file loads: {@code Policy.onConfigChange}).
     */
    public void onChange(java.util.function.Consumer<String> action) {
        this.onChange = java.util.Objects.requireNonNull(action);
    }

    /**
     * {@code <policy directory>/**}{@code /*.{lua,json,toml,yaml}}, the directory made absolute; only the policy file
     * itself when it lies directly in {@code /} or in the temporary directory (the bundled default policy is written
     * there), whose trees are not configuration.
     */
    public static List<String> defaultGlobs(Path policyFile) {
        Path file = policyFile.toAbsolutePath().normalize();
        Path dir = file.getParent();
        Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().normalize();
        if (dir == null || dir.getParent() == null || dir.equals(tmp)) {
            return List.of(escape(file.toString()));
        }
        return List.of(escape(dir.toString()) + "/**/*.{lua,json,toml,yaml}");
    }

    /** The path with glob characters escaped, so that it matches itself. */
    private static String escape(String path) {
        return path.replaceAll("([*?\\[\\]{}\\\\])", "\\\\$1");
    }

    /** {@code kumo.set_config_monitor_globs}: replaces the globs; each must be a valid glob. */
    public void setGlobs(List<String> patterns) {
        for (String p : patterns) {
            try {
                FileSystems.getDefault().getPathMatcher("glob:" + p);
            } catch (IllegalArgumentException e) {
                throw new ConfigException("kumo.set_config_monitor_globs: invalid glob '" + p + "': " + e.getMessage());
            }
        }
        this.globs = List.copyOf(patterns);
    }

    public List<String> globs() {
        return globs;
    }

    /**
     * {@code kumo.eval_config_monitor_globs}: the regular files the globs match now, deduplicated and sorted.
     * Relative globs are taken from the working directory and their files made absolute, as KumoMTA's walk from
     * {@code /} does.
     */
    public List<String> files() {
        TreeSet<String> files = new TreeSet<>();
        for (String glob : globs) {
            try {
                for (String match : Glob.expand(glob, null)) {
                    Path p = Path.of(match).toAbsolutePath().normalize();
                    if (Files.isRegularFile(p)) {
                        files.add(p.toString());
                    }
                }
            } catch (IOException e) {
                LOG.warn("config monitor: cannot evaluate glob {}: {}", glob, e.getMessage());
            }
        }
        return List.copyOf(files);
    }

    /**
     * Hashes the watched files; bumps the epoch when the hash differs from the previous scan's. The first scan only
     * records it. Returns whether it bumped.
     */
    public boolean scan() {
        synchronized (scanLock) {
            List<String> files = files();
            String hash = hash(files);
            String previous = lastHash;
            lastHash = hash;
            if (previous == null || previous.equals(hash)) {
                return false;
            }
            onChange.accept("config monitor: a file matched by " + globs + " changed (" + files.size()
                    + " file(s) watched)");
            return true;
        }
    }

    private static String hash(List<String> files) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buffer = new byte[8192];
        for (String file : files) {
            sha.update(file.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            try (InputStream in = Files.newInputStream(Path.of(file))) {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    sha.update(buffer, 0, n);
                }
            } catch (IOException e) {
                LOG.warn("config monitor: cannot read {}: {}", file, e.getMessage());
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** Starts the scanning thread: a first scan at once, then one every {@code interval}. At most once. */
    public synchronized void start(Duration interval) {
        if (thread != null || closed) {
            return;
        }
        long nanos = interval.toNanos();
        thread = Thread.ofPlatform().name("sluice-config-monitor").daemon().start(() -> {
            LOG.info("config monitor: watching {} every {} ms", globs, interval.toMillis());
            while (!closed) {
                try {
                    scan();
                } catch (RuntimeException e) {
                    LOG.error("config monitor: scan failed: {}", e.toString());
                }
                LockSupport.parkNanos(this, nanos);
            }
        });
    }

    /** Stops the scanning thread and waits for it (a scan in progress finishes first). */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            closed = true;
            t = thread;
        }
        if (t != null) {
            LockSupport.unpark(t);
            try {
                t.join(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
