package dev.sluice.bench.egress;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** CPU time of processes from /proc/PID/stat: utime + stime + cutime + cstime, in clock ticks. */
final class ProcCpu {
    private ProcCpu() {}

    /** Ticks used so far by {@code pid} ("self" for this process); -1 when it is gone or unreadable. */
    static long ticks(String pid) {
        try {
            String stat = Files.readString(Path.of("/proc", pid, "stat"));
            // the command name may hold spaces and parentheses: fields start after the last ')'
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" +");
            // after "pid (comm) ": [0]=state ... [11]=utime [12]=stime [13]=cutime [14]=cstime
            return Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Summed ticks of several processes (a peer and its children); gone ones count 0. */
    static long ticks(List<String> pids) {
        long sum = 0;
        for (String p : pids) sum += Math.max(0, ticks(p));
        return sum;
    }
}
