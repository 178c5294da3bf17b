package dev.sluice.bench;

import java.lang.management.ManagementFactory;

/** CPU time of this JVM (all threads, JIT and GC included), so the table can show what the load tool cost. */
final class CpuClock {

    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private CpuClock() {}

    static long processCpuNanos() {
        return OS.getProcessCpuTime();
    }
}
