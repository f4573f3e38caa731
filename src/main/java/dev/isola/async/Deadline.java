package dev.isola.async;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Interrupts the thread that made it when its time comes, unless it was closed first: the bound on an attempt's
 * whole answer, since the JDK client's own timeout ends once the head has come and a body can trickle for as long as
 * the function's timeout. Closing clears an interrupt this deadline made, so none is left on the thread for later.
 */
final class Deadline implements AutoCloseable {
    private static final ScheduledThreadPoolExecutor TIMER = timer();

    private final Thread owner = Thread.currentThread();
    private final ScheduledFuture<?> task;
    /** Guarded by this: whether the deadline came (and interrupted the owner), and whether it was closed. */
    private boolean passed;
    private boolean closed;

    private Deadline(long atNanos) {
        task = TIMER.schedule(this::pass, atNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
    }

    /** A deadline at {@code atNanos} ({@link System#nanoTime()}) for the calling thread. */
    static Deadline at(long atNanos) {
        return new Deadline(atNanos);
    }

    private synchronized void pass() {
        if (!closed) {
            passed = true;
            owner.interrupt();
        }
    }

    synchronized boolean passed() {
        return passed;
    }

    @Override
    public void close() {
        task.cancel(false);
        synchronized (this) {
            closed = true;
            if (passed) {
                Thread.interrupted(); // ours, made inside the lock: nothing else to clear it
            }
        }
    }

    private static ScheduledThreadPoolExecutor timer() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "isola-async-deadlines");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true); // a finished attempt leaves nothing queued until its timeout
        return timer;
    }
}
