package dev.isola.host;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.locks.LockSupport;

/**
 * A process the platform owns but did not start as its child, such as a detached container's init, held by a Linux
 * process file descriptor ({@code pidfd_open(2)}, kernel 5.3 and later). The descriptor names that one process, not
 * its number: once it has exited, a recycled pid is never signalled, and whether it still runs is one {@code poll}
 * with no wait — without a thread per process or a parent's {@code wait}. Its exit status is its parent's to collect
 * (the host's init), so it is not known here.
 */
public final class Pidfd implements AutoCloseable {
    public static final int SIGTERM = 15;
    public static final int SIGKILL = 9;
    private static final long POLL_NANOS = Duration.ofMillis(5).toNanos();

    private final long pid;
    private int fd;
    /** Once {@link PidfdExits} watches it: completed on its exit or on {@link #close}, whichever comes first. */
    private CompletableFuture<Void> exited;
    private PidfdExits watcher;
    private long watchToken;

    private Pidfd(long pid, int fd) {
        this.pid = pid;
        this.fd = fd;
    }

    /** Holds process {@code pid}; throws when it does not exist. */
    public static Pidfd open(long pid) {
        int fd = LinuxCalls.pidfdOpen(pid);
        if (fd < 0) {
            throw new HostException("Failed to open process " + pid + ": it does not exist (or the kernel has no"
                    + " pidfd_open, Linux 5.3+)");
        }
        return new Pidfd(pid, fd);
    }

    public long pid() {
        return pid;
    }

    /** Its descriptor for {@link Fifo}, which watches it beside a FIFO; -1 once closed. */
    synchronized int fd() {
        return fd;
    }

    /** Whether it still runs. Cheap (one system call): fit for every release of an instance. */
    public synchronized boolean isAlive() {
        return fd >= 0 && (LinuxCalls.poll(0, fd)[0] & LinuxCalls.POLLIN) == 0;
    }

    /** Sends {@code signal} unless it has exited. */
    public synchronized void signal(int signal) {
        if (fd >= 0) {
            LinuxCalls.pidfdSendSignal(fd, signal);
        }
    }

    /**
     * Waits up to {@code timeout} for its exit, in short parks (a virtual caller holds no carrier); true if it has
     * exited.
     */
    public boolean awaitExit(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (isAlive()) {
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            LockSupport.parkNanos(POLL_NANOS);
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
        return true;
    }

    /** What {@link PidfdExits#onExit} returns: the first watcher's stage, the same on every call. */
    synchronized CompletionStage<Void> exitSeenBy(PidfdExits exits) {
        if (exited == null) {
            CompletableFuture<Void> stage = new CompletableFuture<>();
            if (fd < 0) {
                stage.complete(null);
            } else {
                watchToken = exits.watch(fd, stage); // throws when refused: nothing kept, a later call tries again
                watcher = exits;
            }
            exited = stage;
        }
        return exited;
    }

    @Override
    public void close() {
        CompletableFuture<Void> ended;
        synchronized (this) {
            if (fd < 0) {
                return;
            }
            LinuxCalls.close(fd); // which also ends its epoll registration
            fd = -1;
            if (watcher != null) {
                watcher.forget(watchToken);
            }
            ended = exited;
        }
        if (ended != null) {
            ended.complete(null); // outside the lock: what depends on it runs here, and may call back
        }
    }

    @Override
    public String toString() {
        return "process " + pid;
    }
}
