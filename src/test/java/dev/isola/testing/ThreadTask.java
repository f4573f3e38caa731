package dev.isola.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A thread as Linux sees it, its {@code /proc} task directory: to count how often a background thread of ours wakes
 * (its context switches) over a window in which it should sleep.
 */
public final class ThreadTask {
    private final Path task;

    private ThreadTask(Path task) {
        this.task = task;
    }

    /** The calling (platform) thread's task; valid after the call, from any thread. */
    public static ThreadTask current() {
        try {
            return new ThreadTask(Path.of("/proc/thread-self").toRealPath());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Voluntary context switches so far: how often it blocked, so how often it woke. Not the involuntary ones: a
     * thread that woke once may be preempted several times on a busy host (a CI run beside a build), and those
     * counted failed a test of wake-ups.
     */
    public long contextSwitches() {
        try {
            return Files.readAllLines(task.resolve("status")).stream()
                    .filter(l -> l.startsWith("voluntary_ctxt_switches"))
                    .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", ""))).sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
