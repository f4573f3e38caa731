package dev.isola.host;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The exits of many {@link Pidfd}s, seen by one thread: every {@value #TICK_MILLIS} ms it asks each watched process
 * whether it still runs (one {@code poll} with no wait each) and completes the futures of those that ended. One
 * thread for all, not one per process (the JDK's way for its children), so a node with thousands of sandboxes keeps
 * a flat thread count. An exit is seen at most a tick late; a closed {@link Pidfd} counts as ended.
 */
public final class PidfdExits implements AutoCloseable {
    static final long TICK_MILLIS = 100;

    private final Map<Pidfd, CompletableFuture<Void>> watched = new ConcurrentHashMap<>();
    private ScheduledExecutorService ticks;

    /** Completes once {@code process} has exited (or its descriptor is closed); started on first use. */
    public synchronized CompletionStage<Void> onExit(Pidfd process) {
        if (ticks == null) {
            ticks = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon()
                    .name("isola-pidfd-exits").factory());
            ticks.scheduleWithFixedDelay(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
        }
        return watched.computeIfAbsent(process, p -> new CompletableFuture<>());
    }

    private void tick() {
        watched.forEach((process, exited) -> {
            if (!process.isAlive()) {
                watched.remove(process);
                exited.complete(null);
            }
        });
    }

    /** Stops watching; what was watched and has not exited never completes. */
    @Override
    public synchronized void close() {
        if (ticks != null) {
            ticks.shutdownNow();
            try {
                ticks.awaitTermination(Duration.ofSeconds(1).toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ticks = null;
        }
        watched.clear();
    }
}
