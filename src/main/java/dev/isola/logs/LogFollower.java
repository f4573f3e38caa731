package dev.isola.logs;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A live view of the lines one function's instances print from now on, each stamped with its time. Bounded: a
 * reader slower than the function loses lines (the next line it reads says how many) instead of making the server
 * buffer them. Close it when the reader goes.
 */
public final class LogFollower implements AutoCloseable {
    static final int CAPACITY = 1024;
    /**
     * Characters held at most, whatever the count of lines: 1,024 lines of 8,192 characters outside Latin-1 held
     * 16 MiB per follower, and a function may have 16 followers.
     */
    static final int MAX_CHARS = 256 * 1024;

    private final BlockingQueue<String> lines = new ArrayBlockingQueue<>(CAPACITY);
    private final AtomicLong held = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final Runnable unsubscribe;

    LogFollower(Runnable unsubscribe) {
        this.unsubscribe = unsubscribe;
    }

    /** Called by the log as it appends a line (with its time): never blocks the instance's console reader. */
    void offer(String line) {
        if (held.addAndGet(line.length()) > MAX_CHARS) {
            held.addAndGet(-line.length());
            dropped.incrementAndGet();
        } else if (!lines.offer(line)) {
            held.addAndGet(-line.length());
            dropped.incrementAndGet();
        }
    }

    /** The next line, waiting up to {@code wait}; empty if none came. */
    public Optional<String> next(Duration wait) throws InterruptedException {
        long lost = dropped.getAndSet(0);
        if (lost > 0) {
            return Optional.of("[isola: " + lost + " lines dropped: the follower reads slower than the function "
                    + "prints]");
        }
        String line = lines.poll(wait.toNanos(), TimeUnit.NANOSECONDS);
        if (line != null) {
            held.addAndGet(-line.length());
        }
        return Optional.ofNullable(line);
    }

    @Override
    public void close() {
        unsubscribe.run();
    }
}
