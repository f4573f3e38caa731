package dev.isola.async;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The group commit of accepted calls: one thread takes every call waiting, stores them in one synced transaction and
 * then answers them all. A sync costs milliseconds whatever it carries, so under load many calls share it and the
 * rate of 202s is bounded by the disk's syncs times the batch, not by the syncs alone. The same thread prunes old
 * finished calls once a minute, between batches.
 */
final class CallIntake implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(CallIntake.class.getName());
    /** Calls per transaction at most: a batch's statement stays small and its answers come soon. */
    static final int MAX_BATCH = 512;
    static final Duration PRUNE_EVERY = Duration.ofMinutes(1);

    /** One call waiting for its transaction, and who waits for its answer. */
    record Entry(NewCall call, CompletableFuture<Submission> answer) {
    }

    private final CallStore store;
    private final InstantSource clock;
    private final Duration retention;
    /** Finished calls kept at most, the oldest pruned first: a bound on their results' disk whatever the rate. */
    private final long keepFinished;
    /** Bytes of results the finished calls keep at most, the oldest pruned first ({@code asyncResultBytes}). */
    private final long keepResultBytes;
    /** Told of each call that was stored (not of a repeated idempotency key, which named an earlier call). */
    private final Consumer<NewCall> stored;
    /** Told of each call that was not stored: a repeat, or a failed transaction. */
    private final Consumer<NewCall> dropped;
    private final BlockingQueue<Entry> waiting = new LinkedBlockingQueue<>();
    private Thread thread;
    private volatile boolean closed;

    CallIntake(CallStore store, InstantSource clock, Duration retention, long keepFinished, long keepResultBytes,
               Consumer<NewCall> stored, Consumer<NewCall> dropped) {
        this.store = store;
        this.clock = clock;
        this.retention = retention;
        this.keepFinished = keepFinished;
        this.keepResultBytes = keepResultBytes;
        this.stored = stored;
        this.dropped = dropped;
    }

    /** Begins storing; calls submitted before wait for it. */
    void start() {
        thread = Thread.ofPlatform().name("isola-async-intake").daemon().start(this::run);
    }

    CompletableFuture<Submission> submit(NewCall call) {
        CompletableFuture<Submission> answer = new CompletableFuture<>();
        if (closed) {
            answer.complete(new Submission.Unavailable("Isola is shutting down and takes no new calls"));
        } else {
            waiting.add(new Entry(call, answer));
        }
        return answer;
    }

    private void run() {
        long nextPrune = 0;
        List<Entry> batch = new ArrayList<>();
        while (!closed || !waiting.isEmpty()) {
            try {
                Entry first = waiting.poll(1, TimeUnit.SECONDS);
                if (first != null) {
                    batch.add(first);
                    waiting.drainTo(batch, MAX_BATCH - 1);
                    store(batch);
                    batch.clear();
                }
                if (System.nanoTime() - nextPrune >= 0) {
                    nextPrune = System.nanoTime() + PRUNE_EVERY.toNanos();
                    prune();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (RuntimeException | Error e) {
                // The thread must outlive any one batch: it is the only way in.
                LOG.log(System.Logger.Level.ERROR, "async: intake failed: " + e, e);
            }
        }
        waiting.forEach(e -> e.answer().complete(new Submission.Unavailable("Isola is shutting down")));
    }

    private void store(List<Entry> batch) {
        List<CallId> ids;
        try {
            ids = store.insert(batch.stream().map(Entry::call).toList(), clock.instant().minus(retention));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "async: failed to store " + batch.size() + " calls: " + e.getMessage());
            for (Entry entry : batch) {
                dropped.accept(entry.call());
                entry.answer().complete(new Submission.Unavailable("the call could not be stored"));
            }
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            Entry entry = batch.get(i);
            boolean repeated = !ids.get(i).equals(entry.call().id());
            if (repeated) {
                dropped.accept(entry.call());
            } else {
                stored.accept(entry.call());
            }
            entry.answer().complete(new Submission.Accepted(ids.get(i), repeated));
        }
    }

    private void prune() {
        int pruned = store.pruneFinished(clock.instant().minus(retention), keepFinished, keepResultBytes);
        if (pruned > 0) {
            LOG.log(System.Logger.Level.DEBUG, "async: pruned " + pruned + " finished calls");
        }
    }

    /** Stores what is waiting, then stops. */
    @Override
    public void close() {
        closed = true;
        try {
            if (thread != null) {
                thread.join(Duration.ofSeconds(30));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // A submission that raced the close found the loop gone: it is answered here.
        waiting.forEach(e -> e.answer().complete(new Submission.Unavailable("Isola is shutting down")));
    }
}
