package dev.isola.dispatch;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.NavigableMap;
import java.util.SequencedSet;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * A pool's slots, with what must follow every slot that leaves, whichever way it leaves (a failed start, an idle
 * timeout, a crash, a drain, an eviction), so that no path of the pool can forget it:
 * <ul>
 *   <li>its room in the {@link NodeBudget} is given back (taken when the slot was reserved, {@link InstancePool}):
 *       at once if it has no sandbox (a start that failed, or never began), else once its sandbox has stopped
 *       ({@link #stopped}): a sandbox that ignores SIGTERM takes seconds to stop, and a single-use function called
 *       in a burst otherwise had its live sandboxes plus every one still stopping, none of them in the budget. Not
 *       against {@code maxInstances}, which counts the instances that serve (as Kubernetes counts no terminating
 *       pod among a deployment's replicas): a replacement for a hung instance does not wait for its stop;
 *   <li>it leaves the index by id, through which a page of the instance listing is found without touching every slot
 *       of a pool that holds thousands (each slot a few cache misses: at 5,000 that walk was most of the listing);
 *   <li>it leaves the idle order: the ready slots without a request, in the order they became idle, so that the
 *       housekeeper's idle timeout, an eviction and a warm call's choice cost what they change, not a walk of all;
 *   <li>it leaves the index of slots with room: the ready ones that serve requests and may take another, by how
 *       many they serve, so that a warm call of a function with {@code concurrency > 1} finds the busiest with room
 *       at once, not by a walk of thousands of slots under the pool's lock.
 * </ul>
 * A slot leaves the list exactly once. Its load changes only through {@link #ready}, {@link #took},
 * {@link #finished} and {@link #broke}, which keep both orders. Guarded by the pool's lock, as the list was.
 */
final class PoolSlots extends ArrayList<Slot> {
    private final transient NodeBudget budget;
    private final long memoryBytes;
    private final transient NavigableMap<String, Slot> byId = new TreeMap<>();
    private final transient SequencedSet<Slot> idle = new LinkedHashSet<>();
    /**
     * Ready slots with {@code 0 < inFlight < concurrency}, not broken: one list per load, in arrival order, linked
     * through the slots themselves ({@link Slot#prevWithRoom}), its first at index inFlight. A warm call moves its
     * slot between two loads: a few pointers, no hashing and no allocation (sets cost a default-concurrency call
     * about 60 ns more, {@code CrowdedPoolBenchmark}).
     */
    private final transient List<Slot> firstWithRoom = new ArrayList<>();
    private final transient List<Slot> lastWithRoom = new ArrayList<>();
    /** No list above this load holds a slot. */
    private int busiestLoad;
    private final int concurrency;

    PoolSlots(NodeBudget budget, long memoryBytes, int concurrency) {
        this.budget = budget;
        this.memoryBytes = memoryBytes;
        this.concurrency = concurrency;
    }

    /** A sandbox of a slot that left has stopped: its room is given back. */
    void stopped() {
        budget.stopped(memoryBytes);
    }

    /** The slots in id order. */
    NavigableMap<String, Slot> byId() {
        return byId;
    }

    /**
     * The ready slots without a request, idle the longest first (by {@link Slot#lastUsedNanos}); read-only to the
     * pool, whose changes of a slot's load keep it.
     */
    SequencedSet<Slot> idle() {
        return idle;
    }

    /** The ready slot serving the most requests that may take one more; null if none serves any. */
    Slot busiestWithRoom() {
        while (busiestLoad > 0 && firstWithRoom.get(busiestLoad) == null) {
            busiestLoad--;
        }
        return busiestLoad == 0 ? null : firstWithRoom.get(busiestLoad);
    }

    /** {@code slot}'s instance is ready, serving its first caller's request or, if none, idle. */
    void ready(Slot slot, boolean withCaller) {
        slot.state = InstanceState.READY;
        slot.inFlight = withCaller ? 1 : 0;
        place(slot);
    }

    /** {@code slot} took one more request. */
    void took(Slot slot) {
        unplace(slot);
        slot.inFlight++;
        place(slot);
    }

    /**
     * {@code slot} finished a request; one that failed ({@code healthy} false) takes no new ones. Idle again, it is
     * the latest of the idle order, as of its {@link Slot#lastUsedNanos}.
     */
    void finished(Slot slot, boolean healthy) {
        unplace(slot);
        slot.inFlight--;
        slot.broken |= !healthy;
        place(slot);
    }

    /** {@code slot} takes no new requests; those it serves finish. */
    void broke(Slot slot) {
        unplace(slot);
        slot.broken = true;
    }

    private void place(Slot slot) {
        if (slot.state != InstanceState.READY || slot.broken) {
            return;
        }
        if (slot.inFlight == 0) {
            idle.addLast(slot);
        } else if (slot.inFlight < concurrency) {
            int load = slot.inFlight;
            while (firstWithRoom.size() <= load) {
                firstWithRoom.add(null);
                lastWithRoom.add(null);
            }
            Slot last = lastWithRoom.get(load);
            slot.prevWithRoom = last;
            slot.nextWithRoom = null;
            if (last == null) {
                firstWithRoom.set(load, slot);
            } else {
                last.nextWithRoom = slot;
            }
            lastWithRoom.set(load, slot);
            slot.hasRoom = true;
            busiestLoad = Math.max(busiestLoad, load);
        }
    }

    private void unplace(Slot slot) {
        if (slot.inFlight == 0) {
            idle.remove(slot);
        } else if (slot.hasRoom) {
            int load = slot.inFlight;
            if (slot.prevWithRoom == null) {
                firstWithRoom.set(load, slot.nextWithRoom);
            } else {
                slot.prevWithRoom.nextWithRoom = slot.nextWithRoom;
            }
            if (slot.nextWithRoom == null) {
                lastWithRoom.set(load, slot.prevWithRoom);
            } else {
                slot.nextWithRoom.prevWithRoom = slot.prevWithRoom;
            }
            slot.prevWithRoom = null;
            slot.nextWithRoom = null;
            slot.hasRoom = false;
        }
    }

    @Override
    public boolean add(Slot slot) {
        byId.put(slot.id, slot);
        return super.add(slot);
    }

    @Override
    public Slot remove(int index) {
        Slot removed = super.remove(index);
        left(removed);
        return removed;
    }

    @Override
    public boolean remove(Object slot) {
        int index = indexOf(slot);
        if (index < 0) {
            return false;
        }
        remove(index);
        return true;
    }

    @Override
    public boolean removeIf(Predicate<? super Slot> filter) {
        return super.removeIf(s -> {
            if (!filter.test(s)) {
                return false;
            }
            left(s);
            return true;
        });
    }

    @Override
    public void clear() {
        forEach(this::left);
        super.clear();
    }

    private void left(Slot slot) {
        byId.remove(slot.id);
        unplace(slot);
        if (slot.instance == null) {
            budget.release(memoryBytes);
        } else {
            budget.stopping(memoryBytes);
        }
    }
}
