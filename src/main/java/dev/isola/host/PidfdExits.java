package dev.isola.host;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The exits of many {@link Pidfd}s, seen by one thread asleep in {@code epoll_wait}: a process's descriptor becomes
 * readable when it exits, and the kernel wakes the thread for that one. One thread for all, not one per process
 * (the JDK's way for its children), so a node with thousands of sandboxes keeps a flat thread count; and no tick, so
 * the thread costs nothing while nothing exits, however many are watched (it once asked every process every 100 ms:
 * 50,000 system calls a second at 5,000 instances, and a wake-up in the way of requests on an idle node). A closed
 * {@link Pidfd} counts as ended.
 */
public final class PidfdExits implements AutoCloseable {
    private static final long WAKE_TOKEN = 0;
    private static final int EVENTS_PER_WAIT = 64;

    private final Map<Long, CompletableFuture<Void>> watched = new ConcurrentHashMap<>();
    private final AtomicLong tokens = new AtomicLong(WAKE_TOKEN);
    private int epoll = -1;
    private int wake = -1;
    private Thread waiter;
    private volatile boolean closed;

    /** Completes once {@code process} has exited (or its descriptor is closed); the same stage for each call. */
    public CompletionStage<Void> onExit(Pidfd process) {
        return process.exitSeenBy(this);
    }

    /**
     * Watches descriptor {@code fd} (its {@link Pidfd} holds the lock) and completes {@code exited} when it becomes
     * readable; the token to {@link #forget} it by. Once closed, watches nothing: {@code exited} never completes.
     */
    synchronized long watch(int fd, CompletableFuture<Void> exited) {
        if (closed) {
            return WAKE_TOKEN;
        }
        if (waiter == null) {
            start();
        }
        long token = tokens.incrementAndGet();
        watched.put(token, exited);
        // One-shot: an exited process stays readable, and its registration ends when its Pidfd closes the descriptor.
        if (!Epoll.add(epoll, fd, Epoll.EPOLLIN | Epoll.EPOLLONESHOT, token)) {
            watched.remove(token);
            throw new HostException("Failed to watch a process descriptor for its exit (out of memory?)");
        }
        return token;
    }

    /** Stops watching the descriptor of {@code token}, which its {@link Pidfd} has closed. */
    void forget(long token) {
        watched.remove(token);
    }

    /** Opens the epoll instance and its wake-up, or neither (out of descriptors: the next watch tries again). */
    private void start() {
        int from = Epoll.create();
        int wakeUp = -1;
        try {
            wakeUp = Epoll.eventFd();
            if (!Epoll.add(from, wakeUp, Epoll.EPOLLIN, WAKE_TOKEN)) {
                throw new HostException("Failed to watch the exit waiter's wake-up (out of memory?)");
            }
        } catch (RuntimeException e) {
            LinuxCalls.close(from);
            if (wakeUp >= 0) {
                LinuxCalls.close(wakeUp);
            }
            throw e;
        }
        epoll = from;
        wake = wakeUp;
        waiter = Thread.ofPlatform().daemon().name("isola-pidfd-exits").start(() -> await(from));
    }

    private void await(int from) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment events = arena.allocate(Epoll.EVENT_BYTES * EVENTS_PER_WAIT, 8);
            while (!closed) {
                int ready = Epoll.await(from, events); // -1 on a signal's interruption: wait again
                for (int i = 0; i < ready; i++) {
                    CompletableFuture<Void> exited = watched.remove(Epoll.token(events, i));
                    if (exited != null) {
                        exited.complete(null);
                    }
                }
            }
        }
    }

    /** Stops watching; what was watched and has not exited never completes. */
    @Override
    public void close() {
        Thread stopping;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            stopping = waiter;
            if (stopping != null) {
                Epoll.signal(wake);
            }
        }
        if (stopping != null) {
            try {
                stopping.join(1_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            LinuxCalls.close(epoll);
            LinuxCalls.close(wake);
        }
        watched.clear();
    }
}
