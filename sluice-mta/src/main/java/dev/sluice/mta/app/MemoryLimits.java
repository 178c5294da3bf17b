package dev.sluice.mta.app;

import dev.sluice.mta.ingress.Admission;
import dev.sluice.policy.ConfigException;
import dev.sluice.policy.LuaModule;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * KumoMTA's memory limits: {@code kumo.set_memory_hard_limit}, {@code set_memory_soft_limit},
 * {@code set_memory_low_thresh} and their {@code get_} forms (bytes). The hard limit defaults to the cgroup's memory
 * limit, else the physical RAM; the soft limit to 75% of it; the low threshold to 80% of the soft limit. Memory
 * usage is the process's resident set ({@code /proc/self/statm}), as KumoMTA measures it outside a cgroup.
 *
 * <p>What they do in Sluice: above the soft limit ingress refuses new messages (ESMTP {@code 452 4.3.1}, HTTP 503)
 * and says why, until usage falls below it again. The low threshold's passive measure, releasing message data
 * when messages move between queues, is what Sluice always does (a queued message never keeps its data). Sluice
 * also refuses while the Java heap, after its last collection, is more than 90% full: the JVM's own limit
 * ({@code -Xmx}, which {@code bin/sluice mta} sets) comes before any of these.
 *
 * <p>The heap share after a young collection is not the live set: G1 counts the old generation's garbage until a
 * mixed or full collection reclaims it (with 770,000 queued messages, 92% "after collection" against 40% live).
 * So a share above the limit is confirmed by a full collection, at most one every {@link #CONFIRM_NANOS}, and
 * ingress refuses only if the heap is still that full after it.
 */
public final class MemoryLimits implements LuaModule, Admission {
    /** The heap share (after a collection) above which ingress refuses. */
    static final double HEAP_REFUSE = 0.90;
    private static final long SAMPLE_NANOS = 1_000_000_000L;
    /** At most one confirming full collection in this time. */
    static final long CONFIRM_NANOS = 30_000_000_000L;

    private final long physical = detectLimit();
    private volatile long hard = physical;
    private volatile long soft = -1; // -1: 75% of hard
    private volatile long low = -1; // -1: 80% of soft
    private long sampledAt;
    private Optional<String> sample = Optional.empty();
    private final HeapShare heap = new HeapShare(MemoryLimits::heapAfterGc, System::gc);

    @Override
    public void install(Registrar registrar) {
        registrar.kumoFunction("set_memory_hard_limit", args -> {
            hard = bytes("set_memory_hard_limit", args);
            return null;
        });
        registrar.kumoFunction("set_memory_soft_limit", args -> {
            soft = bytes("set_memory_soft_limit", args);
            return null;
        });
        registrar.kumoFunction("set_memory_low_thresh", args -> {
            low = bytes("set_memory_low_thresh", args);
            return null;
        });
        registrar.kumoFunction("get_memory_hard_limit", args -> hardLimit());
        registrar.kumoFunction("get_memory_soft_limit", args -> softLimit());
        registrar.kumoFunction("get_memory_low_thresh", args -> lowThreshold());
    }

    private static long bytes(String function, List<Object> args) {
        if (args.isEmpty() || !(args.getFirst() instanceof Number n) || n.doubleValue() <= 0) {
            throw new ConfigException(function + ": expects a positive number of bytes, got "
                    + (args.isEmpty() ? "nothing" : String.valueOf(args.getFirst())));
        }
        return n.longValue();
    }

    public long hardLimit() {
        return hard;
    }

    public long softLimit() {
        long s = soft;
        return s > 0 ? s : hard / 4 * 3;
    }

    public long lowThreshold() {
        long l = low;
        return l > 0 ? l : softLimit() / 5 * 4;
    }

    /** {@code memory_limit} (the soft limit) and {@code memory_usage} (resident bytes) on /metrics. */
    public void metrics(PrometheusRegistry registry) {
        GaugeWithCallback.builder().name("memory_limit").help("the soft memory limit in bytes: above it ingress refuses")
                .callback(cb -> cb.call(softLimit())).register(registry);
        GaugeWithCallback.builder().name("memory_usage").help("resident memory of the process in bytes")
                .callback(cb -> cb.call(resident())).register(registry);
    }

    /** Why ingress must refuse now (over the soft limit, or the heap nearly full), sampled at most once a second. */
    @Override
    public synchronized Optional<String> refuseReason() {
        long now = System.nanoTime();
        if (sampledAt != 0 && now - sampledAt < SAMPLE_NANOS) {
            return sample;
        }
        sampledAt = now;
        sample = check(resident(), softLimit(), heap.confirmed(now));
        return sample;
    }

    static Optional<String> check(long resident, long softLimit, double heapShare) {
        if (resident > softLimit) {
            return Optional.of("memory usage " + mib(resident) + " is above the soft limit " + mib(softLimit)
                    + ", try again later");
        }
        if (heapShare > HEAP_REFUSE) {
            return Optional.of("the heap is " + Math.round(heapShare * 100) + "% full after garbage collection,"
                    + " try again later");
        }
        return Optional.empty();
    }

    private static String mib(long bytes) {
        return (bytes >> 20) + " MiB";
    }

    /** Resident bytes from /proc/self/statm, 0 when it cannot be read. */
    static long resident() {
        try {
            String[] f = Files.readString(Path.of("/proc/self/statm")).trim().split("\\s+");
            return Long.parseLong(f[1]) * 4096L;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** The largest share of a heap pool's maximum in use after its last collection (0 when not known). */
    static double heapAfterGc() {
        long used = 0;
        long max = Runtime.getRuntime().maxMemory();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() != MemoryType.HEAP) continue;
            MemoryUsage after = pool.getCollectionUsage();
            if (after != null) used += after.getUsed();
        }
        return max <= 0 || max == Long.MAX_VALUE ? 0 : (double) used / max;
    }

    /**
     * The heap share after collection, confirmed by a full collection when above {@link #HEAP_REFUSE}: the share
     * after that collection is the live set. Between confirmations the confirmed share stands while the cheap
     * measure stays above the limit.
     */
    static final class HeapShare {
        private final java.util.function.DoubleSupplier afterGc;
        private final Runnable fullCollection;
        private long confirmedAt;
        private boolean confirmedOnce;
        private double confirmed;

        HeapShare(java.util.function.DoubleSupplier afterGc, Runnable fullCollection) {
            this.afterGc = afterGc;
            this.fullCollection = fullCollection;
        }

        double confirmed(long nanoTime) {
            double share = afterGc.getAsDouble();
            if (share <= HEAP_REFUSE) return share;
            if (!confirmedOnce || nanoTime - confirmedAt >= CONFIRM_NANOS) {
                fullCollection.run();
                confirmedOnce = true;
                confirmedAt = nanoTime;
                confirmed = afterGc.getAsDouble();
            }
            return confirmed;
        }
    }

    /** The cgroup's memory limit (v2, then v1), else the physical RAM. */
    private static long detectLimit() {
        for (String file : new String[] {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
            try {
                String v = Files.readString(Path.of(file)).trim();
                if (!v.equals("max")) {
                    long n = Long.parseLong(v);
                    if (n > 0 && n < (1L << 60)) return n;
                }
            } catch (IOException | RuntimeException e) {
                // not in such a cgroup
            }
        }
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return Long.MAX_VALUE / 2;
    }
}
