package dev.isola.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The open-file limit ({@code RLIMIT_NOFILE}): this process's, and the one a sandbox gets for the connections its
 * function serves at once.
 */
public final class OpenFileLimit {
    /** What every sandbox gets at least: thousands of keep-alive clients, and the kernel's own default hard limit. */
    public static final int FLOOR = 4096;
    /** Beyond one descriptor per connection: the function's own files, listeners, pipes and its runtime's. */
    public static final int HEADROOM = 1024;
    private static final Path LIMITS = Path.of("/proc/self/limits");

    private OpenFileLimit() {
    }

    /**
     * The limit (soft and hard) for a function serving {@code concurrency} requests at once: one descriptor per
     * connection plus {@link #HEADROOM}, at least {@link #FLOOR}, and never above this process's hard limit, which
     * the runtimes inherit: raising past it needs a privilege not every runtime has (rootless, gVisor's sandbox).
     */
    public static int forConcurrency(int concurrency) {
        long wanted = Math.max(FLOOR, (long) concurrency + HEADROOM);
        return (int) Math.min(wanted, hard().orElse((long) Integer.MAX_VALUE));
    }

    /** This process's soft limit; empty where {@code /proc} cannot say. */
    public static Optional<Long> soft() {
        return field(0);
    }

    /** This process's hard limit; empty where {@code /proc} cannot say (or it is unlimited). */
    public static Optional<Long> hard() {
        return field(1);
    }

    private static Optional<Long> field(int index) {
        try {
            return Files.readAllLines(LIMITS).stream().filter(l -> l.startsWith("Max open files"))
                    .map(l -> l.substring("Max open files".length()).trim().split("\\s+")[index])
                    .filter(v -> v.chars().allMatch(Character::isDigit)).map(Long::parseLong).findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
