package dev.sluice.mta.spool;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.List;
import java.util.Objects;

/**
 * The spool's metrics, registered once per registry and shared by every spool and free-space monitor
 * (each labels its series with its spool name). The benchmark divides {@code spool_fsyncs_total} by the
 * number of acknowledged messages.
 */
public final class SpoolMetrics implements AutoCloseable {
    private final PrometheusRegistry registry;
    final Counter fsyncs;
    final Counter writes;
    final Histogram batchSize;
    final Gauge diskFreeBytes;
    final Gauge diskFreePercent;
    final Gauge diskFreeInodes;
    final Gauge diskFreeInodesPercent;
    final Gauge quarantined;

    public SpoolMetrics(PrometheusRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
        fsyncs = Counter.builder().name("spool_fsyncs_total")
                .help("fsync calls made by the spool (file, directory or RocksDB WAL sync)")
                .labelNames("name").register(registry);
        writes = Counter.builder().name("spool_writes_total")
                .help("group commits written by the spool's writer thread").labelNames("name").register(registry);
        batchSize = Histogram.builder().name("spool_batch_size")
                .help("operations (stored, updated or removed messages) per group commit")
                .classicOnly().classicExponentialUpperBounds(1, 2, 14).labelNames("name").register(registry);
        diskFreeBytes = Gauge.builder().name("disk_free_bytes")
                .help("free space on the spool's filesystem, in bytes").labelNames("name").register(registry);
        diskFreePercent = Gauge.builder().name("disk_free_percent")
                .help("free space on the spool's filesystem, in percent").labelNames("name").register(registry);
        diskFreeInodes = Gauge.builder().name("disk_free_inodes")
                .help("free inodes on the spool's filesystem").labelNames("name").register(registry);
        diskFreeInodesPercent = Gauge.builder().name("disk_free_inodes_percent")
                .help("free inodes on the spool's filesystem, in percent").labelNames("name").register(registry);
        quarantined = Gauge.builder().name("spool_quarantined_messages")
                .help("messages listed in the spool's quarantine (unreadable, not delivered; `sluice spool quarantine`)")
                .labelNames("name").register(registry);
    }

    /** Messages listed in the quarantine of the spool named {@code name}. */
    public long quarantined(String name) {
        return (long) quarantined.labelValues(name).get();
    }

    /** fsyncs made so far by the spool named {@code name}. */
    public long fsyncs(String name) {
        return (long) fsyncs.labelValues(name).get();
    }

    /** Group commits made so far by the spool named {@code name}. */
    public long writes(String name) {
        return (long) writes.labelValues(name).get();
    }

    /** Unregisters the metrics (e.g. before a restart inside one process). */
    @Override
    public void close() {
        for (var c : List.of(fsyncs, writes, batchSize, diskFreeBytes, diskFreePercent, diskFreeInodes,
                diskFreeInodesPercent, quarantined)) {
            registry.unregister(c);
        }
    }
}
