package dev.isola.dispatch;

import dev.isola.Ticker;
import dev.isola.function.DeployedFunction;
import dev.isola.sandbox.spi.StartKind;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The sandboxes one function version keeps on standby ({@code scaling.standby}): created ahead of need, one at a time
 * by one background thread and only while no start is in flight ({@link Launcher#standby}); taken by the starts of
 * new instances, each replaced once the start that took it has ended ({@link #refill()}: a replacement made while
 * that start ran cost it about 10 ms of CPU on 2 cores, bench/standby-start.sh); all removed when the version
 * drains. A creation that fails is tried again by a later housekeeping round, after a {@link RetryBackoff}.
 */
final class StandbySandboxes {
    private static final System.Logger LOG = System.getLogger(StandbySandboxes.class.getName());

    private record Entry(Launcher.Prepared prepared, Instant createdAt) {
    }

    private final DeployedFunction function;
    private final Launcher launcher;
    private final int target;
    private final Supplier<String> ids;
    private final Ticker ticker;
    private final InstantSource wallClock;
    private final Deque<Entry> ready = new ArrayDeque<>();
    private Thread filler;
    private boolean closed;
    private final RetryBackoff backoff = new RetryBackoff();

    /** {@code target} 0 keeps none (a function without standby, or a backend that offers none). */
    StandbySandboxes(DeployedFunction function, Launcher launcher, int target, Supplier<String> ids, Ticker ticker,
                     InstantSource wallClock) {
        this.function = function;
        this.launcher = launcher;
        this.target = target;
        this.ids = ids;
        this.ticker = ticker;
        this.wallClock = wallClock;
    }

    /** A standby sandbox for a start, if one is ready; the caller calls {@link #refill()} once the start ended. */
    synchronized Optional<Launcher.Prepared> take() {
        return Optional.ofNullable(ready.pollFirst()).map(Entry::prepared);
    }

    /** Starts making sandboxes in the background if fewer than the target are ready and none is being made. */
    synchronized void refill() {
        if (closed || filler != null || ready.size() >= target || !backoff.due(ticker.nanos())) {
            return;
        }
        filler = Thread.ofVirtual().name("standby-" + function.name()).start(this::fill);
    }

    private void fill() {
        while (true) {
            synchronized (this) {
                if (closed || ready.size() >= target) {
                    filler = null;
                    return;
                }
            }
            Launcher.Prepared prepared;
            try {
                prepared = launcher.standby(function, ids.get());
            } catch (StartFailedException e) {
                Duration wait;
                synchronized (this) {
                    filler = null;
                    wait = backoff.failed(ticker.nanos());
                    if (closed) {
                        return;
                    }
                }
                LOG.log(Level.WARNING, "fn=" + function.name() + ": could not make a standby sandbox (retrying in "
                        + wait.toSeconds() + " s): " + e.getMessage());
                return;
            }
            boolean keep;
            synchronized (this) {
                backoff.succeeded();
                keep = !closed;
                if (keep) {
                    ready.addLast(new Entry(prepared, wallClock.instant()));
                }
            }
            if (!keep) {
                prepared.close();
            }
        }
    }

    /** Removes every standby sandbox and makes no more; returns once they and the one being made, if any, are gone. */
    void close() {
        Thread making;
        List<Entry> removed;
        synchronized (this) {
            closed = true;
            making = filler;
            removed = new ArrayList<>(ready);
            ready.clear();
        }
        if (making != null) {
            making.interrupt();
            try {
                making.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // Side by side: runsc takes about a second to remove one, and a stopping server with 20 on standby took
        // over 20 s one after the other. The executor's close waits for every removal.
        try (ExecutorService removals = Executors.newVirtualThreadPerTaskExecutor()) {
            removed.forEach(e -> removals.execute(e.prepared()::close));
        }
    }

    /** The ready standby sandboxes as instances in state {@link InstanceState#STANDBY}. */
    synchronized List<InstanceView> views(String backend) {
        return ready.stream().map(e -> view(e, backend)).toList();
    }

    /** Offers the ready standby sandboxes to a page being gathered. */
    synchronized void collect(InstancePage.Collector page, String backend) {
        for (Entry e : ready) {
            if (page.wants(e.prepared().id())) {
                page.add(view(e, backend));
            }
        }
    }

    synchronized int size() {
        return ready.size();
    }

    private InstanceView view(Entry e, String backend) {
        return new InstanceView(e.prepared().id(), function.name().value(), function.version(), backend,
                InstanceState.STANDBY, "", e.createdAt(), 0, 0, 0, StartKind.STANDBY.wireName(), e.prepared().pid());
    }
}
