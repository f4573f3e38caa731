package dev.isola.dispatch;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The pools of one function that take its calls, each version with its weight: one pool at 100 normally, several
 * during a traffic split. Immutable: a change of routes is a new object swapped in.
 */
record Routes(List<InstancePool> pools, List<Integer> weights) {
    Routes {
        pools = List.copyOf(pools);
        weights = List.copyOf(weights);
        if (pools.isEmpty() || pools.size() != weights.size()) {
            throw new IllegalArgumentException("routes need one weight per pool, and at least one pool");
        }
    }

    static Routes single(InstancePool pool) {
        return new Routes(List.of(pool), List.of(100));
    }

    /** The pool a new call goes to: chosen at random by weight. */
    InstancePool pick() {
        if (pools.size() == 1) {
            return pools.getFirst();
        }
        int total = weights.stream().mapToInt(Integer::intValue).sum();
        int ticket = ThreadLocalRandom.current().nextInt(total);
        for (int i = 0; i < pools.size(); i++) {
            ticket -= weights.get(i);
            if (ticket < 0) {
                return pools.get(i);
            }
        }
        return pools.getLast();
    }

    /** The pool serving {@code version}, if it is routed. */
    InstancePool pool(int version) {
        return pools.stream().filter(p -> p.version() == version).findFirst().orElse(null);
    }
}
