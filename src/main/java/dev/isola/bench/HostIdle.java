package dev.isola.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

/**
 * Waits until the host's CPUs are idle again (at least {@link #IDLE_SHARE} of their time idle over half a second),
 * as {@code bench/lib.sh}'s {@code settle} does. Idle is {@code idle} plus {@code iowait}: both are a CPU with nothing
 * to run, and some guests account an idle CPU as waiting for I/O (one such host showed 50 % iowait with no task in
 * uninterruptible sleep, and a density run that counted only {@code idle} waited out its settle time at every step).
 * Removing thousands of containers goes on in the kernel (network namespaces are torn down by a kernel worker, minutes
 * after the last {@code runc delete} returned): a measurement that began meanwhile shared the host with it, and read
 * its idle baseline on a busy host.
 */
final class HostIdle {
    static final double IDLE_SHARE = 0.9;
    private static final Path STAT = Path.of("/proc/stat");
    private static final Duration WINDOW = Duration.ofMillis(500);

    private HostIdle() {
    }

    /** Whether the host became idle within {@code atMost}. */
    static boolean await(Trial t, Duration atMost) throws InterruptedException {
        long deadline = System.nanoTime() + atMost.toNanos();
        do {
            long[] before = cpuTimes();
            t.sleep(WINDOW);
            if (idleShare(before, cpuTimes()) >= IDLE_SHARE) {
                return true;
            }
        } while (System.nanoTime() - deadline < 0);
        return false;
    }

    /** The share of CPU time idle (idle and iowait) between two readings of the {@code cpu} line. */
    static double idleShare(long[] before, long[] after) {
        long total = 0;
        for (int i = 0; i < before.length; i++) {
            total += after[i] - before[i];
        }
        return total <= 0 ? 1 : (double) (after[3] - before[3] + after[4] - before[4]) / total;
    }

    /** The {@code cpu} line's first eight times: user, nice, system, idle, iowait, irq, softirq, steal. */
    static long[] cpuTimes() {
        try {
            String line = Files.readAllLines(STAT).getFirst();
            return Arrays.stream(line.trim().split("\\s+")).skip(1).limit(8).mapToLong(Long::parseLong).toArray();
        } catch (IOException | RuntimeException e) {
            throw new BenchException("Failed to read the CPU times in " + STAT + ": " + e.getMessage(), e);
        }
    }
}
