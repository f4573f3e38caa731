package dev.isola.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * CPU time of a sandbox's host processes: the instance's root process (its {@code pid} in /system/instances) and all
 * its descendants, read from /proc. The fallback for hosts without hardware counters; the data says
 * {@code cpu-time}, never {@code instructions}.
 *
 * <p>Two sources, because neither is enough alone: {@code /proc/<pid>/task/<tid>/schedstat} gives each live thread's
 * run time in nanoseconds (precise enough for a mostly idle process in a 1 s window), while {@code /proc/<pid>/stat}
 * gives the process's user+system time including exited threads, and its reaped children's (the runtime's short-lived
 * helpers such as {@code runc init}), in clock ticks of 10 ms. Start cost uses, per process, the larger of the two
 * plus the children's ticks; an idle window uses the difference of the precise thread sum plus children's ticks.
 * USER_HZ is 100 on every Linux architecture Isola runs on. Processes that exit, or are re-parented away from the
 * tree, between two readings are not counted. Only reads /proc; never signals anything.
 */
final class ProcessTreeCpu {
    static final long TICK_NANOS = 10_000_000L;

    /**
     * @param threadNanos  sum of live threads' run time
     * @param processNanos sum over processes of max(live threads, user+system ticks)
     * @param childNanos   user+system time of reaped children
     * @param processes    processes in the tree when read
     */
    record Reading(long threadNanos, long processNanos, long childNanos, int processes) {
        /** CPU time spent so far by the tree, for start cost. */
        double totalMillis() {
            return (processNanos + childNanos) / 1e6;
        }

        /** CPU time between an earlier reading and this one, for idle windows. */
        double millisSince(Reading earlier) {
            return Math.max(0, (threadNanos + childNanos) - (earlier.threadNanos + earlier.childNanos)) / 1e6;
        }
    }

    private ProcessTreeCpu() {
    }

    /** The pids of the tree rooted at {@code pid}, root first; empty when it is gone. */
    static List<Long> tree(long pid) {
        return ProcessHandle.of(pid).map(h -> Stream.concat(Stream.of(h), h.descendants()).map(ProcessHandle::pid)
                .toList()).orElse(List.of());
    }

    static Reading read(long pid) {
        List<Long> pids = tree(pid);
        if (pids.isEmpty()) {
            throw new BenchException("Failed to read the CPU time of process " + pid + ": it is gone");
        }
        long threads = 0;
        long processes = 0;
        long children = 0;
        int seen = 0;
        for (long p : pids) {
            try {
                long[] stat = stat(p);
                long own = threadNanos(p);
                threads += own;
                processes += Math.max(own, (stat[0] + stat[1]) * TICK_NANOS);
                children += (stat[2] + stat[3]) * TICK_NANOS;
                seen++;
            } catch (NoSuchFileException e) {
                // Exited between listing and reading: nothing left to count.
            } catch (IOException e) {
                throw new BenchException("Failed to read /proc/" + p + ": " + e.getMessage(), e);
            }
        }
        return new Reading(threads, processes, children, seen);
    }

    /** utime, stime, cutime, cstime of /proc/<pid>/stat, in ticks. */
    static long[] stat(long pid) throws IOException {
        String s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        // The command name (field 2) is in parentheses and may hold spaces; fields after it are space-separated.
        String[] f = s.substring(s.lastIndexOf(')') + 2).trim().split(" ");
        // f[0] is field 3 (state), so field 14 (utime) is f[11].
        return new long[]{Long.parseLong(f[11]), Long.parseLong(f[12]), Long.parseLong(f[13]), Long.parseLong(f[14])};
    }

    private static long threadNanos(long pid) throws IOException {
        long sum = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String line = Files.readString(task.resolve("schedstat")).trim();
                    sum += Long.parseLong(line.substring(0, line.indexOf(' ')));
                } catch (NoSuchFileException e) {
                    // The thread exited; its time is in the process's stat ticks.
                }
            }
        }
        return sum;
    }
}
