package dev.isola.async;

import dev.isola.function.FunctionName;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.ToIntFunction;

/**
 * Which call runs when: calls wait here by due time (their first attempt at once, a retry after its backoff), and a
 * due call starts when its function has fewer attempts running than its {@code async.concurrency}; otherwise it
 * waits, in order, for one of them to end. One thread decides; each attempt runs on a virtual thread of its own. Only
 * ids and times are held here: a backlog of 100,000 calls costs a few MiB, the bodies stay in the store.
 */
final class CallScheduler implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(CallScheduler.class.getName());

    /** A call waiting to run; {@code order} keeps calls due at the same instant in arrival order. */
    record Due(CallId id, FunctionName function, Instant submitted, Instant at, long order) {
    }

    /** How many waiting calls a function has, and since when the oldest waits. */
    record Depth(FunctionName function, int queued, Instant oldestSubmitted) {
    }

    private final InstantSource clock;
    private final ToIntFunction<FunctionName> concurrency;
    private final Consumer<Due> attempt;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final PriorityQueue<Due> due = new PriorityQueue<>(
            Comparator.comparing(Due::at).thenComparingLong(Due::order));
    /** Due calls whose function is at its concurrency, oldest first. */
    private final Map<FunctionName, ArrayDeque<Due>> held = new HashMap<>();
    private final Map<FunctionName, Integer> running = new HashMap<>();
    private final Set<Thread> attempts = ConcurrentHashMap.newKeySet();
    private Thread thread;
    private long order;
    private boolean stopped;
    /** No attempt starts before this: the store failed to start one, and would fail the others as fast. */
    private Instant pausedUntil = Instant.MIN;

    /**
     * @param concurrency how many attempts of a function may run at once (read when one is due: a redeploy takes
     *                    effect for the next)
     * @param attempt     runs one attempt, blocking; on a virtual thread of its own
     */
    CallScheduler(InstantSource clock, ToIntFunction<FunctionName> concurrency, Consumer<Due> attempt) {
        this.clock = clock;
        this.concurrency = concurrency;
        this.attempt = attempt;
    }

    /** Begins starting attempts; calls added before wait for it. */
    void start() {
        thread = Thread.ofPlatform().name("isola-async-scheduler").daemon().start(this::run);
    }

    void add(CallId id, FunctionName function, Instant submitted, Instant at) {
        lock.lock();
        try {
            due.add(new Due(id, function, submitted, at, order++));
            changed.signal();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Starts no attempt before {@code until}: the store could not start one (its disk is full, say), and every due
     * call would fail the same way at once, a backlog of 100,000 cycling through failed writes and warnings each
     * second. Those already started end as they do.
     */
    void pauseUntil(Instant until) {
        lock.lock();
        try {
            if (until.isAfter(pausedUntil)) {
                pausedUntil = until;
            }
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        lock.lock();
        try {
            while (!stopped) {
                Due next = due.peek();
                Instant now = clock.instant();
                Instant startAt = next == null ? null : next.at().isAfter(pausedUntil) ? next.at() : pausedUntil;
                if (next == null || startAt.isAfter(now)) {
                    // At most a second: a clock that jumps is caught up with soon.
                    changed.awaitNanos(next == null ? TimeUnit.SECONDS.toNanos(1)
                            : Math.min(Duration.between(now, startAt).toNanos(), TimeUnit.SECONDS.toNanos(1)));
                    continue;
                }
                due.poll();
                int limit = Math.max(1, safeConcurrency(next.function()));
                int busy = running.getOrDefault(next.function(), 0);
                if (busy < limit) {
                    running.put(next.function(), busy + 1);
                    launch(next);
                } else {
                    held.computeIfAbsent(next.function(), f -> new ArrayDeque<>()).add(next);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    private int safeConcurrency(FunctionName function) {
        try {
            return concurrency.applyAsInt(function);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "fn=" + function + " async: cannot read its policy: " + e);
            return 1;
        }
    }

    private void launch(Due call) {
        Thread t = Thread.ofVirtual().name("isola-async-" + call.function()).unstarted(() -> {
            try {
                attempt.accept(call);
            } catch (RuntimeException | Error e) {
                LOG.log(System.Logger.Level.ERROR, "fn=" + call.function() + " call=" + call.id()
                        + " async: attempt failed: " + e, e);
            } finally {
                attempts.remove(Thread.currentThread());
                ended(call.function());
            }
        });
        attempts.add(t);
        t.start();
    }

    /** An attempt of {@code function} ended: the oldest call held back for it is due now. */
    private void ended(FunctionName function) {
        lock.lock();
        try {
            running.merge(function, -1, (a, b) -> a + b == 0 ? null : a + b);
            ArrayDeque<Due> waiting = held.get(function);
            if (waiting != null) {
                Due first = waiting.poll();
                if (waiting.isEmpty()) {
                    held.remove(function);
                }
                if (first != null) {
                    due.add(first); // due already: it goes ahead of what became due since
                }
            }
            changed.signal();
        } finally {
            lock.unlock();
        }
    }

    /** Forgets the waiting calls of {@code function} (it was deleted; the store ends them). */
    void forget(FunctionName function) {
        lock.lock();
        try {
            due.removeIf(d -> d.function().equals(function));
            held.remove(function);
        } finally {
            lock.unlock();
        }
    }

    /** Waiting calls by function, for the metrics. */
    List<Depth> depths() {
        lock.lock();
        try {
            Map<FunctionName, Depth> byFunction = new HashMap<>();
            List<Due> all = new ArrayList<>(due);
            held.values().forEach(all::addAll);
            for (Due d : all) {
                byFunction.merge(d.function(), new Depth(d.function(), 1, d.submitted()), (a, b) -> new Depth(
                        a.function(), a.queued() + 1, a.oldestSubmitted().isBefore(b.oldestSubmitted())
                        ? a.oldestSubmitted() : b.oldestSubmitted()));
            }
            return List.copyOf(byFunction.values());
        } finally {
            lock.unlock();
        }
    }

    /** Starts no more attempts; the running ones go on ({@link #awaitAttempts}). */
    void stop() {
        lock.lock();
        try {
            stopped = true;
            changed.signal();
        } finally {
            lock.unlock();
        }
    }

    /** Waits up to {@code timeout} for the running attempts; whether all ended. */
    boolean awaitAttempts(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread t : List.copyOf(attempts)) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !t.join(Duration.ofNanos(left))) {
                return false;
            }
        }
        return true;
    }

    /** Interrupts the running attempts (they put their call back) and waits a little for them to do so. */
    void interruptAttempts() throws InterruptedException {
        attempts.forEach(Thread::interrupt);
        awaitAttempts(Duration.ofSeconds(5));
    }

    @Override
    public void close() {
        stop();
        try {
            if (thread != null) {
                thread.join(Duration.ofSeconds(5));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
