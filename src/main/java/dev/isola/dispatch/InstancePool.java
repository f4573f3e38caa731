package dev.isola.dispatch;

import dev.isola.Ticker;
import dev.isola.function.DeployedFunction;
import dev.isola.function.Scaling;
import dev.isola.metrics.Metrics;
import dev.isola.sandbox.spi.Instance;
import dev.isola.sandbox.spi.StartKind;

import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * The instances of one function version and the requests waiting for them.
 *
 * <p>Algorithm (HikariCP-like, with Lambda/OpenWhisk semantics): {@link #begin} takes a free slot of a ready
 * instance — preferring the busiest one that still has room, so load packs onto few instances and the rest can idle
 * out; otherwise it reserves a new {@link Slot} in state STARTING (if fewer than {@code maxInstances} exist),
 * releases the lock and launches the instance; otherwise it waits on {@link #changed} until the deadline, in a
 * queue bounded by {@code queueLimit}. {@link #begin} decides without blocking and leaves the start or the wait to
 * a thread that may block ({@link Attempt.Later}); {@link #acquire} is the blocking whole. In single-use mode every
 * acquire launches a fresh instance and release retires it.
 *
 * <p>Invariants, all guarded by {@link #lock}: {@code slots} holds every live instance including starting ones, so
 * {@code slots.size() <= maxInstances}; {@code 0 <= inFlight <= concurrency} per slot; a slot leaves {@code slots}
 * exactly once and its instance is closed exactly once, outside the lock. No sandbox call (start, stop, liveness of a
 * starting instance) ever runs while the lock is held.
 *
 * <p>Failure modes: a failed start removes its slot and wakes waiters (one of them may try again); an instance found
 * that failed an exchange (connection refused or reset, malformed response) takes no new requests and is stopped once
 * its other requests finish, as is one found dead by {@link #maintain}; the next request starts a new one;
 * {@link #drain} makes acquire answer {@link Attempt.Drained} and closes instances once their in-flight requests
 * finish.
 */
final class InstancePool {
    /** How the pool's instances stop: off the caller's thread, which is often an event loop. */
    @FunctionalInterface
    interface Retirement {
        /** Stops {@code instance} in the background, running {@code first} there before it and {@code after} after. */
        void retire(Instance instance, Runnable first, Runnable after);
    }

    private static final Runnable NOTHING = () -> { };

    private static final System.Logger LOG = System.getLogger(InstancePool.class.getName());

    private static final Attempt DRAINED = new Attempt.Drained();
    /** Pre-warm starts ({@code minInstances}) in flight per pool at most: one per core, see {@link #prewarm}. */
    static final int PREWARM_PARALLELISM = Runtime.getRuntime().availableProcessors();
    /** How many idle instances a housekeeping round checks for liveness ({@link #deadAmongIdle}). */
    static final int LIVENESS_BATCH = 256;
    /** How often a call waiting for room in the node's budget looks again. */
    private static final long BUDGET_RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final DeployedFunction function;
    private final Scaling scaling;
    private final Duration timeout;
    private final String backend;
    private final Launcher launcher;
    private final Ticker ticker;
    private final InstantSource wallClock;
    private final Metrics metrics;
    private final int queueLimit;
    private final Retirement retirement;
    private final InstanceEvents events;
    private final EndpointProbe prewarmProbe;
    private final InstanceIds ids;
    private final StandbySandboxes standby;
    private final String versionText;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Every live slot; each holds room in the node's budget until it leaves. */
    private final PoolSlots slots;
    private final NodeBudget budget;
    private final long memoryBytes;
    /** Stops an idle instance of another function to make room in the node's budget; whether it did. */
    private final Predicate<InstancePool> makeRoom;
    private int waiting;
    private boolean draining;
    /** Guarded by the lock. */
    private DrainLimit drainLimit = DrainLimit.NONE;
    /** Reserved slots that housekeeping started no thread for yet, and the threads starting them. */
    private final ArrayDeque<Slot> prewarmQueue = new ArrayDeque<>();
    /** Where the next housekeeping round's liveness checks begin in {@link #slots} ({@link #deadAmongIdle}). */
    private int livenessCursor;
    private int prewarmers;
    /** When housekeeping may start {@code minInstances} again after one failed to start. Guarded by the lock. */
    private final RetryBackoff prewarmBackoff = new RetryBackoff();

    InstancePool(DeployedFunction function, Dispatcher.Parts parts, Retirement retirement,
                 Predicate<InstancePool> makeRoom) {
        this.function = function;
        this.budget = parts.budget();
        this.memoryBytes = function.manifest().limits().memoryBytes();
        this.scaling = function.manifest().scaling();
        this.slots = new PoolSlots(budget, memoryBytes, scaling.concurrency());
        this.makeRoom = makeRoom;
        this.timeout = function.manifest().limits().timeout();
        this.launcher = parts.launcher();
        this.backend = launcher.backend(function);
        this.ticker = parts.ticker();
        this.wallClock = parts.wallClock();
        this.metrics = parts.metrics();
        this.queueLimit = parts.queueLimit();
        this.retirement = retirement;
        this.events = parts.events();
        this.prewarmProbe = parts.probe();
        this.ids = new InstanceIds(function.name());
        this.versionText = Integer.toString(function.version());
        int standbyTarget = launcher.offersStandby(function) ? scaling.standby() : 0;
        this.standby = new StandbySandboxes(function, launcher, standbyTarget, ids::next, ticker, wallClock);
    }

    DeployedFunction function() {
        return function;
    }

    int version() {
        return function.version();
    }

    /** The version number as a header carries it, made once. */
    String versionText() {
        return versionText;
    }

    /** The function's timeout: how long a call may wait for a slot, and how long its answer may take. */
    Duration timeout() {
        return timeout;
    }

    Ticker ticker() {
        return ticker;
    }

    String backend() {
        return backend;
    }

    /** Blocks until the call has a slot (or a final answer), the pool drains, or {@code ticket} is abandoned. */
    Attempt acquire(long deadlineNanos, EndpointProbe probe, CallTicket ticket) {
        List<Slot> dead = new ArrayList<>();
        try {
            return acquire(deadlineNanos, probe, ticket, dead);
        } finally {
            retireAll(dead);
        }
    }

    /** Wakes the calls waiting here: one of them was abandoned ({@link CallTicket}). */
    void wakeWaiters() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops instances found dead under the lock, after unlocking: at once, not after the start or the wait of the
     * call that found them (a shutdown must find them retiring).
     */
    private void retireAll(List<Slot> dead) {
        dead.forEach(this::stop);
        dead.clear();
    }

    private void stop(Slot slot) {
        stop(slot, NOTHING);
    }

    /**
     * Stops the sandbox of {@code slot}, which left {@link #slots} with it, running {@code first} before; its room in
     * the node's budget is given back once it has stopped.
     */
    private void stop(Slot slot, Runnable first) {
        retirement.retire(slot.instance, first, this::sandboxStopped);
    }

    private void sandboxStopped() {
        lock.lock();
        try {
            slots.stopped();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The call's outcome decided now, without blocking: a free slot of a ready instance ({@link Attempt.Done}), or
     * the rest for a thread that may block ({@link Attempt.Later}), with the decision to start an instance taken
     * now: when no ready instance has room but the pool may grow, a slot is reserved at once and the rest starts
     * its instance. So a call starts an instance exactly when one was needed as it arrived, however long its thread
     * then waits for a CPU: in a burst of 70 crun starts on 2 cores, decided on the thread, up to 19 of the calls
     * found another call's instance already free, and the burst started fewer instances than it had concurrent
     * calls. Otherwise the rest waits as {@link #acquire} does.
     */
    Attempt begin(EndpointProbe probe) {
        List<Slot> dead = new ArrayList<>();
        Slot reserved = null;
        lock.lock();
        try {
            Attempt now = drainedOrWarm(dead);
            if (now != null) {
                return now;
            }
            if (slots.size() < scaling.maxInstances()) {
                reserved = reserveSlot().orElse(null);
            }
        } finally {
            lock.unlock();
            retireAll(dead);
        }
        Slot slot = reserved;
        // Read the clock only here, off the warm path: the call's deadline counts from its arrival.
        long deadline = ticker.nanos() + timeout.toNanos();
        CallTicket ticket = new CallTicket();
        return new Attempt.Later(slot != null ? () -> startInto(slot, true, probe)
                : () -> acquire(deadline, probe, ticket), deadline, ticket);
    }

    private Attempt acquire(long deadlineNanos, EndpointProbe probe, CallTicket ticket, List<Slot> dead) {
        Slot started;
        lock.lock();
        try {
            ticket.waitsIn(this);
            while (true) {
                if (ticket.abandoned()) {
                    return new Attempt.Done(new Acquisition.Unavailable("fn=" + function.name() + ": the caller "
                            + "went away while the call waited"));
                }
                Attempt now = drainedOrWarm(dead);
                if (now != null) {
                    return now;
                }
                boolean nodeFull = false;
                if (slots.size() < scaling.maxInstances()) {
                    Optional<Slot> reserved = reserveSlot();
                    if (reserved.isPresent()) {
                        started = reserved.get();
                        break;
                    }
                    nodeFull = true;
                }
                if (nodeFull && memoryBytes > budget.use().maxMemoryBytes()) {
                    // Never fits: stopping other functions' idle instances for it would only empty the node.
                    return new Attempt.Done(new Acquisition.StartFailed("fn=" + function.name() + ": its memory "
                            + "limit of " + (memoryBytes >> 20) + " MiB is more than the node's budget holds ("
                            + (budget.use().maxMemoryBytes() >> 20) + " MiB, nodeMemory)", backend));
                }
                if (waiting >= queueLimit) {
                    return new Attempt.Done(new Acquisition.Saturated("fn=" + function.name() + ": "
                            + (nodeFull ? "the node's budget is full (" + describe(budget.use()) + ")"
                            : "all " + scaling.maxInstances() + " instances are busy") + " and " + waiting
                            + " requests are already queued"));
                }
                long remaining = deadlineNanos - ticker.nanos();
                if (remaining <= 0) {
                    return new Attempt.Done(new Acquisition.TimedOut("fn=" + function.name() + ": no instance became "
                            + "free within the invocation timeout (" + (nodeFull ? "the node's budget is full: "
                            + describe(budget.use()) : scaling.maxInstances() + " instances, concurrency "
                            + scaling.concurrency() + " each") + ")", backend));
                }
                if (nodeFull && makeRoomUnlocked()) {
                    continue;
                }
                if (!dead.isEmpty()) {
                    lock.unlock();
                    try {
                        retireAll(dead);
                    } finally {
                        lock.lock();
                    }
                    continue;
                }
                waiting++;
                try {
                    // Room in the budget is freed by other pools, which do not signal this one: look again soon.
                    changed.awaitNanos(nodeFull ? Math.min(remaining, BUDGET_RECHECK_NANOS) : remaining);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return new Attempt.Done(new Acquisition.TimedOut("fn=" + function.name()
                            + ": interrupted while waiting", backend));
                } finally {
                    waiting--;
                }
            }
        } finally {
            lock.unlock();
        }
        retireAll(dead);
        return startInto(started, true, probe);
    }

    /**
     * Under the lock: {@link #DRAINED} once the pool drains, a free slot of a ready instance if there is one (never
     * in single-use mode), else {@code null}: the call must start an instance or wait.
     */
    private Attempt drainedOrWarm(List<Slot> dead) {
        if (draining) {
            return DRAINED;
        }
        Slot free = scaling.singleUse() ? null : busiestWithRoom(dead);
        if (free == null) {
            return null;
        }
        slots.took(free);
        return new Attempt.Done(new Acquisition.Acquired(new PoolLease(this, free, false, 0)));
    }

    /**
     * Launches the reserved slot's instance outside the lock; hands it to the caller when {@code forCaller} (else
     * answers {@code null}: a pre-warm has no caller).
     */
    private Attempt startInto(Slot slot, boolean forCaller, EndpointProbe probe) {
        long begin = ticker.nanos();
        Launcher.Prepared unused = null;
        lock.lock();
        try {
            if (draining) {
                // Reserved before the drain began (a pre-warm, or a call whose thread came late): not worth starting.
                // Its standby sandbox is removed here, unless abortStarts dropped the slot (and removes it) already.
                if (slots.remove(slot)) {
                    unused = slot.prepared;
                }
                changed.signalAll();
                if (unused == null) {
                    return DRAINED;
                }
            } else {
                slot.starter = Thread.currentThread();
            }
        } finally {
            lock.unlock();
        }
        if (unused != null) {
            unused.close();
            return DRAINED;
        }
        Instance instance;
        StartKind kind;
        try {
            if (slot.prepared == null) {
                instance = launcher.launch(function, slot.id, probe);
                kind = instance.startKind();
            } else {
                Started started = startPrepared(slot, probe);
                instance = started.instance();
                kind = started.kind();
            }
        } catch (RuntimeException | Error e) {
            List<Launcher.Prepared> dropped = new ArrayList<>();
            Duration pause = null;
            boolean aborted;
            lock.lock();
            try {
                slots.remove(slot);
                aborted = slot.aborted;
                forgetAbort(slot);
                if (!forCaller && !(e instanceof Error)) {
                    pause = prewarmBackoff.failed(ticker.nanos());
                    dropQueuedPrewarms(dropped);
                }
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            dropped.forEach(Launcher.Prepared::close);
            if (e instanceof Error error) {
                throw error; // out of memory, say: the slot is free again, and the JVM's fault is not a start's
            }
            if (aborted && forCaller) {
                // A drain stopped it (a new version, a removal, a shutdown): the call goes where new calls go, as a
                // call that waited in the drained pool does, not to its caller as a failed start.
                return DRAINED;
            }
            String message = e instanceof StartFailedException ? e.getMessage()
                    : "fn=" + function.name() + " inst=" + slot.id + ": failed to start: " + e;
            LOG.log(Level.WARNING, pause == null ? message
                    : message + " (minInstances: the next start in " + pause.toSeconds() + " s)");
            String caller = e instanceof StartFailedException f ? f.publicMessage()
                    : "fn=" + function.name() + " inst=" + slot.id + ": failed to start (the server log says why)";
            return new Attempt.Done(new Acquisition.StartFailed(caller, backend));
        }
        instance.onExit().thenRun(() -> events.exited(instance.id()));
        long took = ticker.nanos() - begin;
        metrics.coldStarted(function.name().value(), backend, kind.wireName(), took);
        LOG.log(Level.DEBUG, () -> "fn=" + function.name() + " inst=" + slot.id + " started in "
                + TimeUnit.NANOSECONDS.toMillis(took) + " ms via " + backend);
        boolean retireNow;
        boolean counted = false;
        lock.lock();
        try {
            slot.instance = instance;
            slot.coldStartNanos = took;
            slot.startKind = kind;
            slot.lastUsedNanos = ticker.nanos();
            prewarmBackoff.succeeded();
            forgetAbort(slot);
            retireNow = draining;
            if (retireNow) {
                counted = slots.remove(slot); // else it left before it had an instance, its room given back then
            } else {
                slots.ready(slot, forCaller);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (retireNow) {
            if (counted) {
                stop(slot);
            } else {
                retirement.retire(instance, NOTHING, NOTHING);
            }
            return DRAINED;
        }
        return forCaller ? new Attempt.Done(new Acquisition.Acquired(new PoolLease(this, slot, true, took))) : null;
    }

    private record Started(Instance instance, StartKind kind) {
    }

    /**
     * Starts the slot's standby sandbox; if that fails (and the start was not aborted), a cold start of the same
     * instance id follows: the failed standby left nothing behind.
     */
    private Started startPrepared(Slot slot, EndpointProbe probe) {
        try {
            return new Started(slot.prepared.start(probe), StartKind.STANDBY);
        } catch (StartFailedException e) {
            if (Thread.currentThread().isInterrupted()) {
                throw e;
            }
            LOG.log(Level.WARNING, e.getMessage() + " (a standby sandbox); starting a new one instead");
            Instance instance = launcher.launch(function, slot.id, probe);
            return new Started(instance, instance.startKind());
        } finally {
            standby.refill();
        }
    }

    /**
     * Clears the interrupt {@link #abortStarts} sent a start that finished anyway: the starter may be a request
     * thread, whose next blocking socket operation an interrupt would fail. Under the lock.
     */
    private void forgetAbort(Slot slot) {
        slot.starter = null;
        if (slot.aborted) {
            Thread.interrupted();
        }
    }

    /**
     * Stops an idle instance of another function, with this pool's lock let go meanwhile (the other pool takes its
     * own): whether one was stopped. Under the lock, which it holds again on return.
     */
    private boolean makeRoomUnlocked() {
        if (budget.fitsOnceStopped(0, 0, memoryBytes)) {
            return false; // instances are stopping: their room is on its way, and no more need stop for it
        }
        lock.unlock();
        try {
            return makeRoom.test(this);
        } finally {
            lock.lock();
        }
    }

    /**
     * Stops this pool's instance idle the longest, if any may go ({@code minInstances} stay), to make room in the
     * node's budget for another function; whether one was stopped.
     */
    boolean evictIdle() {
        Slot victim = null;
        lock.lock();
        try {
            if (slots.size() > scaling.minInstances() && !slots.idle().isEmpty()) {
                victim = slots.idle().getFirst();
            }
            if (victim != null) {
                slots.remove(victim);
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
        if (victim == null) {
            return false;
        }
        String id = victim.id;
        LOG.log(Level.DEBUG, () -> "fn=" + function.name() + " inst=" + id + " stopped: idle, its room in the "
                + "node's budget wanted by another function");
        stop(victim);
        return true;
    }

    long memoryBytes() {
        return memoryBytes;
    }

    /** How many of this pool's instances an eviction could stop now: idle ones, beyond {@code minInstances}. */
    int evictable() {
        lock.lock();
        try {
            return Math.min(slots.idle().size(), Math.max(0, slots.size() - scaling.minInstances()));
        } finally {
            lock.unlock();
        }
    }

    /** When this pool's idlest instance was last used (ticker nanos), if one could be evicted. */
    OptionalLong idleSince() {
        lock.lock();
        try {
            if (slots.size() <= scaling.minInstances()) {
                return OptionalLong.empty();
            }
            return slots.idle().isEmpty() ? OptionalLong.empty()
                    : OptionalLong.of(slots.idle().getFirst().lastUsedNanos);
        } finally {
            lock.unlock();
        }
    }

    private static String describe(NodeBudget.Use use) {
        return use.instances() + " of " + use.maxInstances() + " instances, " + (use.memoryBytes() >> 20) + " of "
                + (use.maxMemoryBytes() >> 20) + " MiB of memory limits";
    }

    /**
     * A new slot, taking a standby sandbox for its start if one is ready, and room in the node's budget; empty when
     * the node has none. Under the lock.
     */
    private Optional<Slot> reserveSlot() {
        if (!budget.tryReserve(memoryBytes)) {
            return Optional.empty();
        }
        Launcher.Prepared prepared = standby.take().orElse(null);
        Slot slot = new Slot(prepared == null ? ids.next() : prepared.id(), wallClock.instant());
        slot.prepared = prepared;
        slots.add(slot);
        return Optional.of(slot);
    }

    /**
     * The ready instance with the most requests that still has room, else the one idle the shortest (the others may
     * reach their idle timeout; its caches are the warmest). Its liveness is checked before it is chosen (one system
     * call, not one per instance): one found dead is taken out of {@code slots} into {@code dead} if idle (the caller
     * stops it after unlocking; a crash between requests frees its slot at once, not at the next housekeeping round),
     * or marked broken if it still has requests (they fail, and the last one's release removes it), and the choice
     * is made again.
     */
    private Slot busiestWithRoom(List<Slot> dead) {
        while (true) {
            Slot best = slots.busiestWithRoom();
            if (best == null && !slots.idle().isEmpty()) {
                best = slots.idle().getLast();
            }
            if (best == null || best.instance.isAlive()) {
                return best;
            }
            if (best.inFlight == 0) {
                slots.remove(best);
                dead.add(best);
            } else {
                slots.broke(best);
            }
        }
    }

    /** How many requests {@code slot}'s instance serves now. */
    int inFlight(Slot slot) {
        lock.lock();
        try {
            return slot.inFlight;
        } finally {
            lock.unlock();
        }
    }

    void release(Slot slot, boolean healthy) {
        boolean remove;
        lock.lock();
        try {
            slot.served++;
            slot.lastUsedNanos = ticker.nanos();
            // An instance that failed an exchange takes no new requests and goes once its others finish.
            slots.finished(slot, healthy);
            remove = scaling.singleUse() || ((slot.broken || draining) && slot.inFlight == 0);
            if (remove) {
                remove = slots.remove(slot);
            }
            if (waiting > 0 || draining) {
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
        if (remove && slot.broken) {
            // Its exit reason may take reading a file (the cgroup's OOM count, the VM's console): not on the loop.
            stop(slot, () -> LOG.log(Level.WARNING, "fn=" + function.name() + " inst=" + slot.id
                    + " failed a request (" + slot.instance.exitReason().orElse("it did not answer")
                    + "); replacing it"));
        } else if (remove) {
            stop(slot);
        }
    }

    /**
     * Housekeeping, run periodically: removes dead instances and those idle past the idle timeout (keeping
     * {@code minInstances}), then starts instances up to {@code minInstances} and standby sandboxes up to
     * {@code standby}.
     */
    void maintain() {
        standby.refill();
        List<Slot> removed = new ArrayList<>();
        int toStart;
        int newPrewarmers;
        lock.lock();
        try {
            long now = ticker.nanos();
            long idleNanos = scaling.idleTimeout().toNanos();
            removed.addAll(deadAmongIdle());
            removed.forEach(slots::remove);
            // Idle the longest first: the first one within its timeout ends the scan.
            List<Slot> expired = new ArrayList<>();
            for (Slot s : slots.idle()) {
                if (now - s.lastUsedNanos < idleNanos || slots.size() - expired.size() <= scaling.minInstances()) {
                    break;
                }
                expired.add(s);
            }
            expired.forEach(slots::remove);
            removed.addAll(expired);
            toStart = draining || !prewarmBackoff.due(now) ? 0 : scaling.minInstances() - slots.size();
            for (int i = 0; i < toStart; i++) {
                Optional<Slot> slot = reserveSlot();
                if (slot.isEmpty()) {
                    break; // the node's budget is full: the next round tries again
                }
                prewarmQueue.add(slot.get());
            }
            newPrewarmers = Math.min(prewarmQueue.size(), PREWARM_PARALLELISM - prewarmers);
            prewarmers += newPrewarmers;
            if (!removed.isEmpty()) {
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
        for (Slot s : removed) {
            LOG.log(Level.DEBUG, () -> "fn=" + function.name() + " inst=" + s.id + " stopped: "
                    + s.instance.exitReason().map(r -> "died, " + r).orElse("idle"));
            stop(s);
        }
        for (int i = 0; i < newPrewarmers; i++) {
            Thread.ofVirtual().name("prewarm-" + function.name()).start(this::prewarm);
        }
    }

    /**
     * Gives back the slots reserved for pre-warm starts that no thread took yet; their standby sandboxes, if any, go
     * into {@code prepared} for the caller to close after unlocking. Under the lock.
     */
    private void dropQueuedPrewarms(List<Launcher.Prepared> prepared) {
        for (Slot queued; (queued = prewarmQueue.poll()) != null; ) {
            slots.remove(queued);
            if (queued.prepared != null) {
                prepared.add(queued.prepared);
            }
        }
    }

    /**
     * Idle instances found dead among the next {@link #LIVENESS_BATCH} slots in turn (one system call each): a
     * round costs a bounded number of checks however many instances the pool holds (a sweep of all took 5,000 calls
     * a second under the pool's lock at 5,000 live instances), and every idle instance is checked within
     * {@code size / LIVENESS_BATCH} rounds. A warm call checks the one it takes itself. Under the lock.
     */
    private List<Slot> deadAmongIdle() {
        List<Slot> dead = new ArrayList<>();
        int checks = Math.min(LIVENESS_BATCH, slots.size());
        for (int i = 0; i < checks; i++) {
            livenessCursor = livenessCursor + 1 < slots.size() ? livenessCursor + 1 : 0;
            Slot s = slots.get(livenessCursor);
            if (slots.idle().contains(s) && !s.instance.isAlive()) {
                dead.add(s);
            }
        }
        return dead;
    }

    /**
     * Starts queued pre-warm slots one after the other until none is left. At most one such thread per core runs per
     * pool ({@link #PREWARM_PARALLELISM}): {@code minInstances} heavy instances started all at once on a small host
     * shared its cores until every one passed its start deadline, was replaced, and the next ones did the same (ten
     * Node.js microVMs under TCG on two cores, each needing about 15 s of CPU); one start per core finishes each in
     * its own time. A call's start does not wait for these.
     */
    private void prewarm() {
        while (true) {
            Slot next;
            lock.lock();
            try {
                next = prewarmQueue.poll();
                if (next == null) {
                    prewarmers--;
                    return;
                }
            } finally {
                lock.unlock();
            }
            Thread.interrupted(); // an abort of the last start (a drain) is not one of the next: it finds draining
            try {
                startInto(next, false, prewarmProbe);
            } catch (Error e) {
                lock.lock();
                try {
                    prewarmers--; // the next round's pre-warmer takes the queue on
                } finally {
                    lock.unlock();
                }
                throw e;
            }
        }
    }

    /**
     * Stops accepting requests, waits up to {@code graceNanos} for in-flight ones and starts, then retires every
     * instance. Starts still running after that are interrupted (the launcher stops what it began), and drain
     * returns once they have ended, so nothing is still being created after it: a platform shutting down must not
     * remove its network or cgroups under a sandbox that is still being built.
     */
    void drain(long graceNanos) {
        standby.close();
        List<Slot> idle = new ArrayList<>();
        List<Launcher.Prepared> unstarted = new ArrayList<>();
        boolean interrupted = false;
        lock.lock();
        try {
            draining = true;
            changed.signalAll();
            long deadline = ticker.nanos() + graceNanos;
            while (slots.stream().anyMatch(s -> (s.state == InstanceState.STARTING && s.starter != null)
                    || s.inFlight > 0)) {
                long remaining = Math.min(deadline - ticker.nanos(), drainLimit.remainingNanos(ticker));
                if (remaining <= 0) {
                    break;
                }
                try {
                    changed.awaitNanos(Math.min(remaining, TimeUnit.MILLISECONDS.toNanos(50)));
                } catch (InterruptedException e) {
                    interrupted = true; // ends the grace, never what follows: the instances must go
                    break;
                }
            }
            interrupted |= abortStarts(unstarted);
            for (var it = slots.iterator(); it.hasNext(); ) {
                Slot s = it.next();
                if (s.state == InstanceState.READY) {
                    it.remove();
                    idle.add(s);
                }
            }
        } finally {
            lock.unlock();
        }
        idle.forEach(this::stop);
        unstarted.forEach(Launcher.Prepared::close);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Ends a drain's grace period by {@code deadlineNanos}, or at once when {@code cutShort} says so (checked every
     * 50 ms): a stopping platform gives the calls of a replaced version the same time as its current ones.
     */
    void endDrainBy(long deadlineNanos, BooleanSupplier cutShort) {
        lock.lock();
        try {
            drainLimit = new DrainLimit(deadlineNanos, cutShort);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Where a drain's grace ends at the latest, besides its own period; none until {@link #endDrainBy}. */
    private record DrainLimit(long deadlineNanos, BooleanSupplier cutShort) {
        static final DrainLimit NONE = new DrainLimit(0, () -> false);

        long remainingNanos(Ticker ticker) {
            if (this == NONE) {
                return Long.MAX_VALUE;
            }
            return cutShort.getAsBoolean() ? 0 : deadlineNanos - ticker.nanos();
        }
    }

    /**
     * Interrupts the starts still running and waits until they have ended; the standby sandboxes of starts dropped
     * before they began go to {@code unstarted}, for the caller to remove once unlocked. Under the lock. An interrupt
     * does not end the wait (nothing may still be starting when a drain returns); whether one came.
     */
    private boolean abortStarts(List<Launcher.Prepared> unstarted) {
        // A start reserved for a call whose thread has not begun it yet is dropped: when that thread comes, it finds
        // the pool draining and the call goes to the current version.
        slots.removeIf(s -> {
            boolean notBegun = s.state == InstanceState.STARTING && s.starter == null;
            if (notBegun && s.prepared != null) {
                unstarted.add(s.prepared);
            }
            return notBegun;
        });
        for (Slot s : slots) {
            if (s.state == InstanceState.STARTING && !s.aborted) {
                s.aborted = true;
                s.starter.interrupt();
            }
        }
        boolean interrupted = false;
        while (slots.stream().anyMatch(s -> s.state == InstanceState.STARTING)) {
            try {
                changed.await(50, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        return interrupted;
    }

    /**
     * Waits until no call is in flight, queued or being started for, or until {@code deadlineNanos} or
     * {@code cutShort} (checked every 50 ms): a stopping platform lets its calls finish. The pool keeps serving its
     * queue meanwhile.
     */
    void awaitQuiet(long deadlineNanos, BooleanSupplier cutShort) {
        lock.lock();
        try {
            while (waiting > 0 || slots.stream().anyMatch(s -> s.inFlight > 0
                    || (s.state == InstanceState.STARTING && s.starter != null))) {
                long remaining = deadlineNanos - ticker.nanos();
                if (remaining <= 0 || cutShort.getAsBoolean()) {
                    LOG.log(Level.WARNING, "fn=" + function.name() + ": " + (remaining <= 0 ? "drain deadline "
                            + "passed" : "drain cut short") + " with calls still running; stopping its instances "
                            + "under them");
                    return;
                }
                changed.awaitNanos(Math.min(remaining, TimeUnit.MILLISECONDS.toNanos(50)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    int waiting() {
        lock.lock();
        try {
            return waiting;
        } finally {
            lock.unlock();
        }
    }

    List<InstanceView> snapshot() {
        lock.lock();
        try {
            List<InstanceView> views = new ArrayList<>(slots.size());
            for (Slot s : slots) {
                views.add(view(s));
            }
            views.addAll(standby.views(backend));
            return views;
        } finally {
            lock.unlock();
        }
    }

    /** Offers this pool's instances, standby sandboxes included, to a page being gathered. */
    void collect(InstancePage.Collector page) {
        lock.lock();
        try {
            for (Slot s : slots.byId().tailMap(page.after(), false).values()) {
                if (!page.wants(s.id)) {
                    break; // the page is full of smaller ids, and the ones that follow are larger
                }
                page.add(view(s));
            }
            // Under the pool's lock, as a call's reservation moves a standby sandbox into the slots: read apart,
            // a sandbox moved in between would be on no page.
            standby.collect(page, backend);
        } finally {
            lock.unlock();
        }
    }

    /** How many instances this pool has, standby sandboxes included. */
    int size() {
        lock.lock();
        try {
            return slots.size() + standby.size();
        } finally {
            lock.unlock();
        }
    }

    /** How many instances this pool has in each state, standby sandboxes included, without a view of each. */
    Map<InstanceState, Integer> census() {
        Map<InstanceState, Integer> counts = new EnumMap<>(InstanceState.class);
        lock.lock();
        try {
            for (Slot s : slots) {
                counts.merge(shownState(s), 1, Integer::sum);
            }
            int standbys = standby.size(); // under the lock, as in collect
            if (standbys > 0) {
                counts.merge(InstanceState.STANDBY, standbys, Integer::sum);
            }
        } finally {
            lock.unlock();
        }
        return counts;
    }

    private InstanceView view(Slot s) {
        String endpoint = s.instance == null ? "" : hostAndPort(s.instance.endpoint());
        return new InstanceView(s.id, function.name().value(), function.version(), backend, shownState(s), endpoint,
                s.startedAt, s.inFlight, s.served, s.coldStartNanos / 1e6, s.startKind.wireName(),
                s.instance == null ? OptionalLong.empty() : s.instance.pid());
    }

    private InstanceState shownState(Slot s) {
        return draining && s.state == InstanceState.READY ? InstanceState.DRAINING : s.state;
    }

    private static String hostAndPort(InetSocketAddress address) {
        String host = address.getAddress() == null ? address.getHostString() : address.getAddress().getHostAddress();
        return host + ":" + address.getPort();
    }
}
