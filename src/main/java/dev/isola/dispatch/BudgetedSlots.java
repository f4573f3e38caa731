package dev.isola.dispatch;

import java.util.ArrayList;
import java.util.function.Predicate;

/**
 * A pool's slots that give their room in the {@link NodeBudget} back as they leave, whichever way they leave (a
 * failed start, an idle timeout, a crash, a drain, an eviction): the room was taken when the slot was reserved
 * ({@link InstancePool}), and a slot leaves its list exactly once. Guarded by the pool's lock, as the list was.
 */
final class BudgetedSlots extends ArrayList<Slot> {
    private final transient NodeBudget budget;
    private final long memoryBytes;

    BudgetedSlots(NodeBudget budget, long memoryBytes) {
        this.budget = budget;
        this.memoryBytes = memoryBytes;
    }

    @Override
    public Slot remove(int index) {
        Slot removed = super.remove(index);
        budget.release(memoryBytes);
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
        int before = size();
        boolean any = super.removeIf(filter);
        for (int i = size(); i < before; i++) {
            budget.release(memoryBytes);
        }
        return any;
    }

    @Override
    public void clear() {
        for (int i = 0; i < size(); i++) {
            budget.release(memoryBytes);
        }
        super.clear();
    }
}
