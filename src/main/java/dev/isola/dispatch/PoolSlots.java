package dev.isola.dispatch;

import java.util.ArrayList;
import java.util.LinkedHashSet;
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
 *       housekeeper's idle timeout, an eviction and a warm call's choice cost what they change, not a walk of all.
 * </ul>
 * A slot leaves the list exactly once. Guarded by the pool's lock, as the list was.
 */
final class PoolSlots extends ArrayList<Slot> {
    private final transient NodeBudget budget;
    private final long memoryBytes;
    private final transient NavigableMap<String, Slot> byId = new TreeMap<>();
    private final transient SequencedSet<Slot> idle = new LinkedHashSet<>();

    PoolSlots(NodeBudget budget, long memoryBytes) {
        this.budget = budget;
        this.memoryBytes = memoryBytes;
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
     * pool, which says {@link #nowIdle} and {@link #nowBusy}.
     */
    SequencedSet<Slot> idle() {
        return idle;
    }

    /** {@code slot} is ready and has no request (again), as of its {@link Slot#lastUsedNanos}, the latest of all. */
    void nowIdle(Slot slot) {
        idle.remove(slot);
        idle.addLast(slot);
    }

    /** {@code slot} took a request, or may take none (broken). */
    void nowBusy(Slot slot) {
        idle.remove(slot);
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
        idle.remove(slot);
        if (slot.instance == null) {
            budget.release(memoryBytes);
        } else {
            budget.stopping(memoryBytes);
        }
    }
}
