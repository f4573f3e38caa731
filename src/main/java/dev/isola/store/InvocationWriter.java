package dev.isola.store;

import dev.isola.host.IdlePriority;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Moves invocation records off the request path into the database in batches.
 *
 * <p>Callers only {@code offer} to a bounded queue: no I/O, no waiting; a full queue drops the record and counts it,
 * because accounting must never slow or fail an invocation. One daemon thread drains the queue every
 * {@link #MAX_DELAY} while records come, and sleeps while none do; it hands the sink batches of at most
 * {@link #BATCH_SIZE} records; one transaction per batch is what makes SQLite fast here (a commit costs about as
 * much as hundreds of inserts).
 *
 * <p>The thread runs under {@link IdlePriority}: what it costs per call is small (under 0.5 µs), but at normal
 * priority each burst held a core that the gateway's next hop was woken onto, and those few delayed calls were the
 * gateway's added p99 at c=1: a p99 of 463–799 µs (median 572) against 335–556 (median 424) under {@code SCHED_IDLE},
 * in six alternated rounds on one server ({@code bench/gateway-latency.sh}'s load; nginx 271–393). While it holds
 * the store's lock it works at normal priority ({@link LockedConnection#with}). Saturated by wrk
 * at c=64 (37,000 calls/s on two cores) it still kept up: 14,000 records behind when the load stopped, none a second
 * later, none dropped.
 *
 * <p>{@link #flush()} enqueues a barrier: records are FIFO, so when the thread reaches the barrier every record
 * queued before it is in the batch, which is written before the barrier completes. A failing sink loses that batch
 * (counted as dropped, logged) but never stops the thread, so flush and close cannot hang on a fault.
 */
final class InvocationWriter implements AutoCloseable {
    /**
     * Records per transaction. A transaction writes a row per function ({@link InvocationBatches}), so this bounds
     * how much text one row holds (about 200 KiB) and how much a read of the newest records decodes.
     */
    static final int BATCH_SIZE = 4096;
    /**
     * How stale a record may get before it is written. A write cycle has a fixed cost (a transaction, its commit, the
     * WAL) of about 0.25 ms, which every 20 ms came to 2 µs per call at 7,000 calls/s; every 250 ms the writer takes
     * under 0.5 µs per call (the thread's run time, {@code bench/gateway-latency.sh}'s c=1 load), in a burst of about
     * a millisecond. Records show in {@code isola describe} within a quarter of a second.
     */
    static final Duration MAX_DELAY = Duration.ofMillis(250);
    /** About 64k records (a few MiB): several seconds of a busy node's traffic if the disk stalls. */
    static final int DEFAULT_CAPACITY = 65_536;
    private static final Duration FOREVER = Duration.ofDays(365);

    private static final System.Logger LOG = System.getLogger(InvocationWriter.class.getName());

    private sealed interface Task permits Insert, Barrier, Stop {
    }

    private record Insert(InvocationRecord record) implements Task {
    }

    private record Barrier(CompletableFuture<Void> done) implements Task {
    }

    private record Stop() implements Task {
    }

    private final BlockingQueue<Task> queue;
    private final Consumer<List<InvocationRecord>> sink;
    private final LongAdder dropped = new LongAdder();
    private final Thread thread;
    private volatile boolean closed;
    /** Set by the writer before it sleeps for want of records; the next submit wakes it. */
    private volatile boolean sleeping;
    /** Set by flush and close: write what is queued now, without gathering a batch first. */
    private volatile boolean urgent;

    InvocationWriter(Consumer<List<InvocationRecord>> sink, int capacity) {
        this.sink = sink;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.thread = Thread.ofPlatform().daemon().name("isola-store-writer").start(this::run);
    }

    void submit(InvocationRecord record) {
        if (closed || !queue.offer(new Insert(record))) {
            dropped.increment();
        } else if (sleeping) {
            sleeping = false;
            LockSupport.unpark(thread); // once per quiet spell, not per record
        }
    }

    long dropped() {
        return dropped.sum();
    }

    void flush() {
        flush(FOREVER);
    }

    /**
     * Waits until every record queued before this call is written, at most {@code within}; false when that passed
     * first. A saturated CPU gives the writer little time ({@link IdlePriority}), so a caller that answers someone
     * bounds the wait.
     */
    boolean flush(Duration within) {
        if (closed) {
            return true;
        }
        long deadline = System.nanoTime() + within.toNanos();
        Barrier barrier = new Barrier(new CompletableFuture<>());
        try {
            if (!queue.offer(barrier, within.toNanos(), TimeUnit.NANOSECONDS)) {
                return false;
            }
            urgent = true;
            LockSupport.unpark(thread);
            // Checked again and again: if close() won the race the thread may be gone and nobody completes this barrier.
            while (!barrier.done().isDone() && thread.isAlive()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    barrier.done().get(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    // check the thread and the deadline again
                }
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("Failed to flush invocation records: interrupted", e);
        } catch (ExecutionException e) {
            throw new StoreException("Failed to flush invocation records: " + e.getCause(), e.getCause());
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        boolean interrupted = false;
        while (true) {
            try {
                queue.put(new Stop());
                urgent = true;
                LockSupport.unpark(thread);
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // finish closing first: the thread must not outlive the database connection
            }
        }
        // Anything that slipped in after Stop was never written.
        for (Task task; (task = queue.poll()) != null; ) {
            if (task instanceof Insert) {
                dropped.increment();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Wakes every {@link #MAX_DELAY} (or when flush/close unpark it) and drains the queue; with the queue empty it
     * sleeps until a submit wakes it, so an idle platform has no writer wake-ups. The thread never blocks on the queue
     * itself: a consumer waiting in {@code take()} would be signalled — a futex wake and a context switch — on every
     * single offer, which on a small edge box costs the request path more than the insert saves.
     */
    private void run() {
        if (!IdlePriority.applyToCurrentThread()) {
            LOG.log(System.Logger.Level.INFO, "store: the kernel refused SCHED_IDLE; invocation records are "
                    + "written at normal priority, in the gateway's way");
        }
        List<Task> drained = new ArrayList<>();
        List<InvocationRecord> batch = new ArrayList<>(BATCH_SIZE);
        while (true) {
            if (queue.isEmpty()) {
                sleeping = true;
                if (queue.isEmpty()) { // a submit between the check and the flag would not have woken us
                    LockSupport.park();
                }
                sleeping = false;
            }
            if (!urgent) {
                LockSupport.parkNanos(MAX_DELAY.toNanos()); // gather a batch
            }
            urgent = false;
            boolean interrupted = Thread.interrupted();
            queue.drainTo(drained);
            for (Task task : drained) {
                switch (task) {
                    case Insert insert -> {
                        batch.add(insert.record());
                        if (batch.size() >= BATCH_SIZE) {
                            write(batch);
                        }
                    }
                    case Barrier barrier -> {
                        write(batch);
                        barrier.done().complete(null);
                    }
                    case Stop stop -> {
                        write(batch);
                        completeWaitingBarriers();
                        return;
                    }
                }
            }
            drained.clear();
            write(batch);
            if (interrupted) {
                return; // nobody interrupts this thread but the JVM; what we held is saved
            }
        }
    }

    private void completeWaitingBarriers() {
        for (Task task : queue) {
            if (task instanceof Barrier barrier) {
                barrier.done().complete(null);
            }
        }
    }

    private void write(List<InvocationRecord> batch) {
        if (batch.isEmpty()) {
            return;
        }
        try {
            sink.accept(List.copyOf(batch));
        } catch (RuntimeException e) {
            dropped.add(batch.size());
            LOG.log(System.Logger.Level.WARNING, "store: dropped " + batch.size() + " invocation records: " + e.getMessage());
        } finally {
            batch.clear();
        }
    }
}
