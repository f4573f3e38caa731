package dev.isola.dispatch;

import dev.isola.function.DeployedFunction;
import dev.isola.function.FunctionName;
import dev.isola.metrics.Metrics;
import dev.isola.sandbox.spi.Instance;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The seam between the gateway and the sandboxes: per function the pool of its current version.
 *
 * <p>Deploying a new version swaps the pool atomically; the old pool drains in the background (requests it is
 * serving finish, new ones go to the new version). Removing a function drains synchronously. A housekeeper thread
 * runs {@link InstancePool#maintain()} on every pool each {@code maintainInterval}. Stopping an instance can take
 * seconds, so it happens on its own virtual thread; {@link #close()} waits for all of them.
 */
public final class Dispatcher implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Dispatcher.class.getName());
    private static final int ACQUIRE_ATTEMPTS = 3;

    private final Launcher launcher;
    private final Ticker ticker;
    private final InstantSource wallClock;
    private final Metrics metrics;
    private final int queueLimit;
    private final Map<FunctionName, InstancePool> pools = new ConcurrentHashMap<>();
    private final Set<Thread> retiring = ConcurrentHashMap.newKeySet();
    private final List<java.util.function.Consumer<String>> retireListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<java.util.function.Consumer<String>> exitListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Thread housekeeper;
    private volatile boolean closed;

    private Dispatcher(Launcher launcher, Ticker ticker, InstantSource wallClock, Metrics metrics, int queueLimit,
                       Duration maintainInterval) {
        this.launcher = launcher;
        this.ticker = ticker;
        this.wallClock = wallClock;
        this.metrics = metrics;
        this.queueLimit = queueLimit;
        this.housekeeper = maintainInterval.isZero() ? null
                : Thread.ofPlatform().daemon().name("isola-housekeeper").start(() -> housekeep(maintainInterval));
    }

    /**
     * @param maintainInterval how often idle and dead instances are reaped; {@link Duration#ZERO} disables the
     *                         housekeeper (tests call {@link #maintain()} themselves)
     */
    public static Dispatcher create(Launcher launcher, Ticker ticker, InstantSource wallClock, Metrics metrics,
                                    int queueLimit, Duration maintainInterval) {
        return new Dispatcher(launcher, ticker, wallClock, metrics, queueLimit, maintainInterval);
    }

    /** Acquires a slot, waiting at most the function's own timeout. */
    public Acquisition acquire(FunctionName name) {
        InstancePool pool = pools.get(name);
        if (pool == null) {
            return new Acquisition.NotFound(name);
        }
        return acquire(name, ticker.nanos() + pool.function().manifest().limits().timeout().toNanos());
    }

    /**
     * Acquires a slot without waiting: {@code Acquired} when a ready instance has room, {@code NotFound} for an
     * unknown function, {@code null} when only {@link #acquire(FunctionName)} can tell (it would queue or start an
     * instance). Lets an event-loop caller take the warm path inline and hand only the rest to a thread that may
     * block.
     */
    public Acquisition tryAcquire(FunctionName name) {
        InstancePool pool = pools.get(name);
        return pool == null ? new Acquisition.NotFound(name) : pool.tryAcquire();
    }

    /**
     * For an event-loop caller after {@link #tryAcquire} found no free slot: decides now whether the call starts an
     * instance (reserving its slot at once, see {@link InstancePool#acquireLater}) and returns the rest, to run on a
     * thread that may block: the start, or the wait, as {@link #acquire(FunctionName)}.
     */
    public Supplier<Acquisition> acquireLater(FunctionName name) {
        InstancePool pool = pools.get(name);
        if (pool == null) {
            return () -> new Acquisition.NotFound(name);
        }
        long deadline = ticker.nanos() + pool.function().manifest().limits().timeout().toNanos();
        Supplier<Acquisition> rest = pool.acquireLater(deadline);
        return () -> {
            Acquisition result = rest.get();
            // Drained: the version was replaced before the reserved start ran; the current one serves the call.
            return result == InstancePool.Drained ? acquire(name, deadline) : result;
        };
    }

    /** Acquires a slot of the function's current version, waiting until {@code deadlineNanos} (of the ticker). */
    public Acquisition acquire(FunctionName name, long deadlineNanos) {
        for (int attempt = 0; attempt < ACQUIRE_ATTEMPTS; attempt++) {
            InstancePool pool = pools.get(name);
            if (pool == null) {
                return new Acquisition.NotFound(name);
            }
            Acquisition result = pool.acquire(deadlineNanos);
            if (result != InstancePool.Drained) {
                return result;
            }
        }
        return new Acquisition.NotFound(name);
    }

    /** Serves {@code function} from now on; a previous version drains in the background. */
    public void deploy(DeployedFunction function) {
        InstancePool fresh = new InstancePool(function, launcher, ticker, wallClock, metrics, queueLimit, this::retire,
                instance -> exitListeners.forEach(l -> l.accept(instance.id())));
        InstancePool old = pools.put(function.name(), fresh);
        if (old != null) {
            // Tracked like a retirement: close() waits for it, so no instance is stopped after close returns.
            Thread drain = Thread.ofVirtual().name("drain-" + function.name()).unstarted(() -> {
                try {
                    old.drain(drainGrace(old));
                } finally {
                    retiring.remove(Thread.currentThread());
                }
            });
            retiring.add(drain);
            drain.start();
        }
        fresh.maintain();
    }

    /** Stops serving {@code name}: waits for its in-flight requests (up to its timeout), then stops its instances. */
    public boolean remove(FunctionName name) {
        InstancePool old = pools.remove(name);
        if (old == null) {
            return false;
        }
        old.drain(drainGrace(old));
        return true;
    }

    public Optional<Duration> timeout(FunctionName name) {
        return Optional.ofNullable(pools.get(name)).map(p -> p.function().manifest().limits().timeout());
    }

    public Optional<String> backend(FunctionName name) {
        return Optional.ofNullable(pools.get(name)).map(InstancePool::backend);
    }

    public List<InstanceView> instances() {
        List<InstanceView> all = new ArrayList<>();
        pools.values().forEach(p -> all.addAll(p.snapshot()));
        all.sort(Comparator.comparing(InstanceView::function).thenComparing(InstanceView::startedAt));
        return all;
    }

    public List<InstanceView> instances(FunctionName name) {
        InstancePool pool = pools.get(name);
        return pool == null ? List.of() : pool.snapshot();
    }

    public Ticker ticker() {
        return ticker;
    }

    /** Runs one round of housekeeping on every pool now. */
    public void maintain() {
        pools.values().forEach(InstancePool::maintain);
    }

    private void housekeep(Duration interval) {
        while (!closed) {
            try {
                Thread.sleep(interval);
                maintain();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "housekeeping failed; retrying next round", e);
            }
        }
    }

    /** Tells {@code listener} the id of every instance taken out of service (before it is stopped). */
    public void onRetire(java.util.function.Consumer<String> listener) {
        retireListeners.add(listener);
    }

    /**
     * Tells {@code listener} the id of every instance whose sandbox has its own network stack once it has exited
     * ({@link Instance#onExit}): connections to it will never be answered.
     */
    public void onExit(java.util.function.Consumer<String> listener) {
        exitListeners.add(listener);
    }

    private void retire(Instance instance) {
        retireListeners.forEach(l -> l.accept(instance.id()));
        Thread thread = Thread.ofVirtual().name("stop-" + instance.id()).unstarted(() -> {
            try {
                instance.close();
            } finally {
                retiring.remove(Thread.currentThread());
            }
        });
        retiring.add(thread);
        thread.start();
    }

    private static long drainGrace(InstancePool pool) {
        return pool.function().manifest().limits().timeout().toNanos();
    }

    /** Drains every function (each for at most its timeout) and waits until every instance has stopped. */
    @Override
    public void close() {
        closed = true;
        if (housekeeper != null) {
            housekeeper.interrupt();
        }
        List<InstancePool> all = new ArrayList<>(pools.values());
        pools.clear();
        List<Thread> drains = all.stream()
                .map(p -> Thread.ofVirtual().start(() -> p.drain(Math.min(drainGrace(p), TimeUnit.SECONDS.toNanos(10)))))
                .toList();
        for (Thread t : drains) {
            joinQuietly(t);
        }
        while (!retiring.isEmpty()) {
            retiring.forEach(Dispatcher::joinQuietly);
        }
    }

    private static void joinQuietly(Thread thread) {
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
