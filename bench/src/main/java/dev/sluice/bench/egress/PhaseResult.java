package dev.sluice.bench.egress;

import java.util.Locale;
import java.util.Map;

/**
 * One measured phase, printed as a RESULT line.
 *
 * @param loadCpuSeconds CPU of this process (all threads) during the phase
 * @param watchedCpu     CPU-seconds of each watched process during the phase, by name
 */
record PhaseResult(String path, int size, long messages, double seconds, long errors, long connections,
                   boolean timedOut, double loadCpuSeconds, Map<String, Double> watchedCpu) {

    double rate() {
        return seconds > 0 ? messages / seconds : 0;
    }

    String line() {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "RESULT path=%s size=%d messages=%d seconds=%.3f rate=%.1f load_cpu_s=%.2f errors=%d connections=%d timed_out=%s",
                path, size, messages, seconds, rate(), loadCpuSeconds, errors, connections, timedOut));
        watchedCpu.forEach((name, cpu) -> sb.append(String.format(Locale.ROOT, " %s_cpu_s=%.2f", name, cpu)));
        return sb.toString();
    }
}
