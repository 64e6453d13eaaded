package io.danmaku.bench.measure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * CPU time and resident memory of processes from {@code /proc} (Linux): the server under test by pid (several
 * for servers with worker processes, summed) and this process itself.
 */
public final class ProcStats {
    /** USER_HZ, the unit of utime/stime in /proc/<pid>/stat; 100 on every mainstream Linux build. */
    private static final double TICKS_PER_SECOND = 100.0;

    private ProcStats() {
    }

    /** User + system CPU seconds of all {@code pids}; processes that are gone count 0. */
    public static double cpuSeconds(List<Long> pids) {
        return sum(pids, ProcStats::cpuSeconds);
    }

    public static double cpuSeconds(long pid) {
        return userSeconds(pid) + systemSeconds(pid);
    }

    /**
     * Kernel-mode CPU seconds of all {@code pids} (stime): system calls and, on loopback, the TCP receive work the
     * kernel does in the sending process's context. The split says how much of a server's CPU its own code can
     * change at all.
     */
    public static double systemSeconds(List<Long> pids) {
        return sum(pids, ProcStats::systemSeconds);
    }

    private static double sum(List<Long> pids, java.util.function.LongToDoubleFunction perPid) {
        double total = 0;
        for (long pid : pids) {
            total += perPid.applyAsDouble(pid);
        }
        return total;
    }

    public static double userSeconds(long pid) {
        return statField(pid, 11);
    }

    public static double systemSeconds(long pid) {
        return statField(pid, 12);
    }

    /** utime (11) or stime (12) of /proc/<pid>/stat in seconds, counted after the command name; 0 if gone. */
    private static double statField(long pid, int index) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            // the command name (field 2) may hold spaces: fields are counted after its closing parenthesis
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[index]) / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** Resident set size (VmRSS) in KiB, summed over {@code pids}. */
    public static long rssKib(List<Long> pids) {
        long total = 0;
        for (long pid : pids) {
            total += rssKib(pid);
        }
        return total;
    }

    public static long rssKib(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }

    public static long self() {
        return ProcessHandle.current().pid();
    }

    /** The 1, 5 and 15 minute load averages. */
    public static double[] loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2])};
        } catch (IOException | RuntimeException e) {
            return new double[] {-1, -1, -1};
        }
    }
}
