package dev.isola.dispatch;

import dev.isola.Ticker;
import dev.isola.function.DeployedFunction;
import dev.isola.function.FunctionName;
import dev.isola.function.TrafficShare;
import dev.isola.metrics.Metrics;
import dev.isola.sandbox.spi.Instance;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link Dispatcher} over one {@link InstancePool} per function version that takes calls: normally one per function,
 * several during a traffic split ({@link Routes}).
 *
 * <p>Deploying a new version swaps the routes atomically; the old pool drains in the background (requests it is
 * serving finish, new ones go to the new version), and a call that its pool turned away while draining is tried on
 * the current routes. Removing a function drains synchronously. A housekeeper thread runs
 * {@link InstancePool#maintain()} on every pool each {@code maintainInterval}. Stopping an instance can take
 * seconds, so it happens on its own virtual thread; {@link #close()} waits for all of them.
 */
final class PoolDispatcher implements Dispatcher {
    private static final System.Logger LOG = System.getLogger(PoolDispatcher.class.getName());
    private static final Acquisition SHUTTING_DOWN = new Acquisition.Unavailable(
            "Isola is shutting down and takes no new calls");

    private final Parts parts;
    private final Ticker ticker;
    private final Map<FunctionName, Routes> routes = new ConcurrentHashMap<>();
    private final Set<Thread> retiring = ConcurrentHashMap.newKeySet();
    /** Pools of replaced or removed versions, until their drain ends: listed, counted, and hurried by close(). */
    private final Set<InstancePool> draining = ConcurrentHashMap.newKeySet();
    private final Thread housekeeper;
    private volatile boolean closed;
    private volatile boolean drainCut;

    PoolDispatcher(Parts parts) {
        this.parts = parts;
        this.ticker = parts.ticker();
        this.housekeeper = parts.maintainInterval().isZero() ? null
                : Thread.ofPlatform().daemon().name("isola-housekeeper").start(this::housekeep);
        parts.metrics().watchInstances(this::census);
    }

    @Override
    public Acquisition acquire(FunctionName name, EndpointProbe probe) {
        if (closed) {
            return SHUTTING_DOWN;
        }
        Routes current = routes.get(name);
        if (current == null) {
            return new Acquisition.NotFound(name);
        }
        InstancePool pool = current.pick();
        return switch (pool.begin(probe)) {
            case Attempt.Done done -> done.acquisition();
            case Attempt.Later later -> new Acquisition.Pending(() -> settle(name, later.rest().get(),
                    later.deadlineNanos(), probe, later.ticket()), later.ticket()::abandon);
            case Attempt.Drained drained -> {
                long deadline = ticker.nanos() + pool.timeout().toNanos();
                CallTicket ticket = new CallTicket();
                yield new Acquisition.Pending(() -> acquireCurrent(name, deadline, probe, ticket), ticket::abandon);
            }
        };
    }

    private Acquisition settle(FunctionName name, Attempt attempt, long deadline, EndpointProbe probe,
                               CallTicket ticket) {
        return switch (attempt) {
            case Attempt.Done done -> done.acquisition();
            case Attempt.Later later -> settle(name, later.rest().get(), later.deadlineNanos(), probe, ticket);
            // The version was replaced before the call's start or wait ended: the current one serves the call.
            case Attempt.Drained drained -> acquireCurrent(name, deadline, probe, ticket);
        };
    }

    /**
     * Blocks for a slot of the function's current version, following version swaps until the call's deadline
     * (rollbacks may swap versions several times while one call waits): NotFound only once the function is gone.
     */
    private Acquisition acquireCurrent(FunctionName name, long deadline, EndpointProbe probe, CallTicket ticket) {
        while (true) {
            Routes current = routes.get(name);
            if (current == null) {
                // Once close() cleared the routes, the function is not gone: the server is (the client may retry
                // elsewhere), as for a call that arrives now.
                return closed ? SHUTTING_DOWN : new Acquisition.NotFound(name);
            }
            InstancePool pool = current.pick();
            if (pool.acquire(deadline, probe, ticket) instanceof Attempt.Done done) {
                return done.acquisition();
            }
            if (ticker.nanos() - deadline >= 0) {
                return new Acquisition.TimedOut("fn=" + name + ": its version changed while the call waited, and "
                        + "no instance of the new one became free within the invocation timeout", pool.backend());
            }
        }
    }

    /**
     * Serialised, so that two changes of one function's routes never interleave (each keeps the pools of versions it
     * still routes and drains the rest of what it replaced).
     */
    @Override
    public synchronized void split(List<TrafficShare> shares) {
        if (closed) {
            throw new IllegalStateException("Isola is shutting down: the dispatcher takes no new versions");
        }
        FunctionName name = shares.getFirst().function().name();
        if (shares.stream().anyMatch(s -> !s.function().name().equals(name))) {
            throw new IllegalArgumentException("a split routes the versions of one function");
        }
        Routes old = routes.get(name);
        List<InstancePool> pools = new ArrayList<>();
        for (TrafficShare share : shares) {
            InstancePool kept = old == null ? null : old.pool(share.function().version());
            pools.add(kept != null ? kept : new InstancePool(share.function(), parts, this::retire,
                    this::makeRoom));
        }
        routes.put(name, new Routes(pools, shares.stream().map(TrafficShare::weight).toList()));
        if (old != null) {
            for (InstancePool pool : old.pools()) {
                if (!pools.contains(pool)) {
                    drainTracked(name, pool);
                }
            }
        }
        pools.forEach(InstancePool::maintain);
    }

    @Override
    public boolean remove(FunctionName name) {
        Routes old;
        synchronized (this) {
            old = routes.remove(name);
        }
        if (old == null) {
            return false;
        }
        old.pools().stream().map(pool -> drainTracked(name, pool)).toList().forEach(PoolDispatcher::joinQuietly);
        return true;
    }

    /**
     * Drains {@code pool} on a thread tracked like a retirement: close() hurries it and waits for it, so no instance
     * is stopped after close returns.
     */
    private Thread drainTracked(FunctionName name, InstancePool pool) {
        draining.add(pool);
        return track("drain-" + name, () -> {
            try {
                pool.drain(drainGrace(pool));
            } finally {
                draining.remove(pool);
            }
        });
    }

    @Override
    public Optional<String> backend(FunctionName name) {
        return Optional.ofNullable(routes.get(name)).map(r -> r.pools().getFirst().backend());
    }

    @Override
    public Optional<DeployedFunction> serving(FunctionName name) {
        return Optional.ofNullable(routes.get(name)).map(r -> r.pools().getFirst().function());
    }

    @Override
    public List<InstanceView> instances() {
        List<InstanceView> all = new ArrayList<>();
        listed().forEach(p -> all.addAll(p.snapshot()));
        return all;
    }

    @Override
    public InstancePage page(Optional<FunctionName> function, String after, int limit) {
        InstancePage.Collector page = new InstancePage.Collector(after, limit);
        function.map(this::listed).orElseGet(this::listed).forEach(p -> p.collect(page));
        return page.page();
    }

    @Override
    public List<InstanceView> instances(FunctionName name) {
        return listed(name).stream().flatMap(p -> p.snapshot().stream()).toList();
    }

    @Override
    public int instanceCount(FunctionName name) {
        return listed(name).stream().mapToInt(InstancePool::size).sum();
    }

    /** The pools whose instances are shown: those routed, and those of replaced versions still draining. */
    private List<InstancePool> listed() {
        List<InstancePool> pools = new ArrayList<>(allPools());
        draining.stream().filter(p -> !pools.contains(p)).forEach(pools::add);
        return pools;
    }

    private List<InstancePool> listed(FunctionName name) {
        Routes current = routes.get(name);
        List<InstancePool> pools = new ArrayList<>(current == null ? List.of() : current.pools());
        draining.stream().filter(p -> p.function().name().equals(name) && !pools.contains(p)).forEach(pools::add);
        return pools;
    }

    /** Calls of {@code name} waiting for a slot now (for tests that must know a call is queued). */
    int waiting(FunctionName name) {
        Routes current = routes.get(name);
        return current == null ? 0 : current.pools().stream().mapToInt(InstancePool::waiting).sum();
    }

    /**
     * Stops the instance idle the longest among the other pools' ({@code minInstances} stay), so that
     * {@code requester} can start one within the node's budget; whether one was stopped.
     */
    private boolean makeRoom(InstancePool requester) {
        int evictable = 0;
        long evictableBytes = 0;
        for (InstancePool pool : allPools()) {
            if (pool != requester) {
                int n = pool.evictable();
                evictable += n;
                evictableBytes += n * pool.memoryBytes();
            }
        }
        if (!parts.budget().fitsOnceStopped(evictable, evictableBytes, requester.memoryBytes())) {
            return false; // stopping every idle instance would not make room: stop none
        }
        while (true) {
            InstancePool idlest = null;
            long since = Long.MAX_VALUE;
            for (InstancePool pool : allPools()) {
                if (pool == requester) {
                    continue;
                }
                OptionalLong idle = pool.idleSince();
                if (idle.isPresent() && idle.getAsLong() - since < 0) {
                    idlest = pool;
                    since = idle.getAsLong();
                }
            }
            if (idlest == null) {
                return false;
            }
            if (idlest.evictIdle()) {
                return true;
            }
            // that instance got a call meanwhile: look again
        }
    }

    private List<InstancePool> allPools() {
        return routes.values().stream().flatMap(r -> r.pools().stream()).toList();
    }

    /** The instances by function, backend and state, for the metrics. */
    private List<Metrics.InstanceGroup> census() {
        record Key(String function, String backend, String state) {
        }
        Map<Key, Integer> counts = new HashMap<>();
        for (InstancePool pool : listed()) {
            pool.census().forEach((state, n) -> counts.merge(
                    new Key(pool.function().name().value(), pool.backend(), state.wireName()), n, Integer::sum));
        }
        return counts.entrySet().stream().map(e -> new Metrics.InstanceGroup(e.getKey().function(),
                e.getKey().backend(), e.getKey().state(), e.getValue())).toList();
    }

    @Override
    public void maintain() {
        allPools().forEach(InstancePool::maintain);
    }

    /**
     * Every round's failure is logged and the next round runs: an Error (out of memory while a pool was busy) too,
     * since a housekeeper that died would let idle instances run for ever.
     */
    private void housekeep() {
        while (!closed) {
            try {
                Thread.sleep(parts.maintainInterval());
                maintain();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException | Error e) {
                LOG.log(Level.ERROR, "housekeeping failed; retrying next round", e);
            }
        }
    }

    private void retire(Instance instance, Runnable first, Runnable after) {
        parts.events().retired(instance.id());
        track("stop-" + instance.id(), () -> {
            try {
                first.run();
            } finally {
                try {
                    instance.close();
                } finally {
                    after.run();
                }
            }
        });
    }

    /** Runs {@code work} on a virtual thread kept in {@link #retiring} until it ends, for {@link #close()}. */
    private Thread track(String name, Runnable work) {
        Thread tracked = Thread.ofVirtual().name(name).unstarted(() -> {
            try {
                work.run();
            } finally {
                retiring.remove(Thread.currentThread());
            }
        });
        retiring.add(tracked);
        tracked.start();
        return tracked;
    }

    private static long drainGrace(InstancePool pool) {
        return pool.timeout().toNanos();
    }

    @Override
    public void close() {
        List<InstancePool> all;
        synchronized (this) { // after a split under way, before any other: no pool is made that nothing drains
            closed = true;
            all = allPools();
        }
        boolean interrupted = false;
        if (housekeeper != null) {
            housekeeper.interrupt();
            // Its round may have taken instances out of a pool and not retired them yet: they must be retiring
            // (tracked) before the wait for retirements below, or they would stop after close() returned.
            interrupted = joinUninterruptibly(housekeeper);
        }
        // New calls are answered Unavailable from now on; those in flight and queued finish first, up to the drain
        // deadline, and only then go the instances (a shutdown that stopped them at once failed every call in flight).
        // Replaced versions get the same deadline, not their own (up to the invocation timeout, an hour at most).
        long deadline = ticker.nanos() + parts.drainTimeout().toNanos();
        draining.forEach(p -> p.endDrainBy(deadline, () -> drainCut));
        all.forEach(p -> p.awaitQuiet(deadline, () -> drainCut));
        routes.clear();
        List<Thread> drains = all.stream().map(p -> Thread.ofVirtual().start(() -> p.drain(0))).toList();
        for (Thread drain : drains) {
            interrupted |= joinUninterruptibly(drain);
        }
        while (!retiring.isEmpty()) {
            for (Thread thread : retiring) {
                interrupted |= joinUninterruptibly(thread);
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits for {@code thread} to end, whatever interrupts come meanwhile; whether one came. */
    private static boolean joinUninterruptibly(Thread thread) {
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                return interrupted;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
    }

    @Override
    public void cutDrainShort() {
        drainCut = true;
    }

    private static void joinQuietly(Thread thread) {
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
