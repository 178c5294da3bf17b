package dev.sluice.mta.spool;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the filesystems of the defined spools every few seconds. While any of them has less free space
 * (or inodes) than its {@code min_free_space} ({@code min_free_inodes}), {@link #belowThreshold()} is true
 * and ingress refuses new mail with 452 / HTTP 503 and {@link #reason()}. Publishes {@code disk_free_bytes},
 * {@code disk_free_percent}, {@code disk_free_inodes}, {@code disk_free_inodes_percent} per spool name.
 */
public final class FreeSpaceMonitor implements SpaceCheck, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FreeSpaceMonitor.class);
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);

    private final List<SpoolConfig> spools;
    private final SpoolMetrics metrics;
    private final Duration interval;
    private ScheduledExecutorService timer; // from start()
    private volatile String reason; // null while every spool has enough room
    private boolean inodeNoteLogged;

    /** Checks once now (so the state is right before the listeners start); {@link #start} checks every {@code interval}. */
    public FreeSpaceMonitor(List<SpoolConfig> spools, SpoolMetrics metrics, Duration interval) {
        this.spools = List.copyOf(spools);
        this.metrics = metrics;
        this.interval = interval;
        check();
    }

    /** Starts the timer thread that checks every interval until {@link #close}. */
    public synchronized void start() {
        if (timer != null) throw new IllegalStateException("started already");
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "spool-free-space");
            t.setDaemon(true);
            return t;
        });
        long ms = interval.toMillis();
        timer.scheduleWithFixedDelay(this::checkQuietly, ms, ms, TimeUnit.MILLISECONDS);
    }

    /** True while a spool's filesystem is below its threshold: do not accept new messages. */
    @Override
    public boolean belowThreshold() {
        return reason != null;
    }

    /** Why {@link #belowThreshold()} is true, e.g. "spool data: 1.2 GiB free, below min_free_space 10%"; null otherwise. */
    @Override
    public String reason() {
        return reason;
    }

    private void checkQuietly() {
        try {
            check();
        } catch (RuntimeException e) {
            LOG.warn("free-space check failed: {}", e.toString());
        }
    }

    /** Checks every spool now and updates the state; returns the reason, null when all is well. */
    public synchronized String check() {
        List<String> problems = new ArrayList<>();
        for (SpoolConfig spool : spools) {
            Path at = existingAncestor(spool.path());
            try {
                FileStore store = Files.getFileStore(at);
                long free = store.getUsableSpace();
                long total = store.getTotalSpace();
                metrics.diskFreeBytes.labelValues(spool.name()).set(free);
                metrics.diskFreePercent.labelValues(spool.name()).set(total > 0 ? free * 100.0 / total : 0);
                if (spool.minFreeSpace().isBelow(free, total)) {
                    problems.add(String.format(Locale.ROOT, "spool %s: %s free (%.1f%%), below min_free_space %s",
                            spool.name(), human(free), total > 0 ? free * 100.0 / total : 0, spool.minFreeSpace()));
                }
            } catch (IOException e) {
                problems.add("spool " + spool.name() + ": cannot check free space at " + at + ": " + e.getMessage());
            }
            Optional<InodeProbe.Inodes> inodes = InodeProbe.probe(at);
            if (inodes.isPresent()) {
                long free = inodes.get().free();
                long total = inodes.get().total();
                metrics.diskFreeInodes.labelValues(spool.name()).set(free);
                metrics.diskFreeInodesPercent.labelValues(spool.name()).set(free * 100.0 / total);
                if (spool.minFreeInodes().isBelow(free, total)) {
                    problems.add(String.format(Locale.ROOT, "spool %s: %d inodes free (%.1f%%), below min_free_inodes %s",
                            spool.name(), free, free * 100.0 / total, spool.minFreeInodes()));
                }
            } else if (!inodeNoteLogged) {
                inodeNoteLogged = true;
                LOG.info("spool {}: the filesystem at {} reports no inode counts; min_free_inodes is not checked",
                        spool.name(), at);
            }
        }
        String now = problems.isEmpty() ? null : String.join("; ", problems);
        String before = reason;
        reason = now;
        if (now != null && before == null) {
            LOG.warn("refusing new messages: {}", now);
        } else if (now == null && before != null) {
            LOG.info("accepting messages again: spool free space is above the thresholds");
        }
        return now;
    }

    private static Path existingAncestor(Path path) {
        Path p = path.toAbsolutePath();
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        return p == null ? path.toAbsolutePath().getRoot() : p;
    }

    static String human(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    @Override
    public synchronized void close() {
        if (timer != null) timer.shutdownNow();
    }
}
