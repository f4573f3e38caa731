package dev.isola.bench;

import dev.isola.host.Command;
import dev.isola.host.ProcessRunner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The host's available memory, as the paper read it ({@code MemAvailable} in /proc/meminfo), and dropping the page
 * cache before each reading so that file pages read by builds and earlier runs do not count as instance memory.
 * Dropping needs root; without it readings include page-cache noise and the run's metadata says so.
 */
final class MemInfo {
    private static final Path MEMINFO = Path.of("/proc/meminfo");
    private static final Path DROP_CACHES = Path.of("/proc/sys/vm/drop_caches");
    private static final Duration SYNC_TIMEOUT = Duration.ofSeconds(60);

    private final ProcessRunner runner;

    MemInfo(ProcessRunner runner) {
        this.runner = runner;
    }

    static long availableKib() {
        try {
            return Files.readAllLines(MEMINFO).stream().filter(l -> l.startsWith("MemAvailable:"))
                    .map(l -> Long.parseLong(l.replaceAll("\\D+", ""))).findFirst()
                    .orElseThrow(() -> new BenchException("Failed to read MemAvailable: not in " + MEMINFO));
        } catch (IOException e) {
            throw new BenchException("Failed to read " + MEMINFO + ": " + e.getMessage(), e);
        }
    }

    /** Whether this process may drop the page cache (root). */
    static boolean canDropCaches() {
        return Files.isWritable(DROP_CACHES);
    }

    /**
     * {@code sync}, then "3" into drop_caches (page cache, dentries and inodes; only clean, unmapped pages go, so the
     * running instances keep theirs). Returns false when not permitted. A sync that fails or is still writing back
     * at its deadline does not stop the drop: clean pages go either way, which is all the reading needs.
     */
    boolean dropCaches() throws InterruptedException {
        if (!canDropCaches()) {
            return false;
        }
        try {
            Tools.result(runner, Command.of("sync").withTimeout(SYNC_TIMEOUT));
            Files.writeString(DROP_CACHES, "3\n");
            return true;
        } catch (IOException | BenchException e) {
            return false;
        }
    }
}
