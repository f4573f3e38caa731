package dev.isola.bench;

import java.util.function.BiConsumer;

/**
 * The shape of the paper's warm workload experiments (CPU, memory, disk): deploy the workload with one instance, make
 * one unrecorded call (it starts the instance; read and static also create their data file), then one recorded call
 * per repetition on that warm instance, its completion time being the figure ({@code duration_ms}), as the paper took
 * hey's latency.
 */
final class WarmCalls {
    private WarmCalls() {
    }

    /**
     * @param extra called with each successful call and its repetition, for values parsed from the body
     */
    static void measure(Trial t, String workload, String query, String variant, BiConsumer<Call, Integer> extra)
            throws InterruptedException {
        String name = t.deploy(FunctionSpec.warm(workload, 1));
        Call warmUp = t.client().invoke(name, query, t.profile().requestTimeout());
        if (!warmUp.ok() && warmUp.httpStatus() / 100 != 4) {
            // A 4xx is the call's own fault and is recorded per repetition below; anything else means no instance.
            throw new BenchException("Failed to warm up " + name + ": " + warmUp.error());
        }
        for (int rep = 0; rep < t.profile().reps(); rep++) {
            t.checkStop();
            Call call = t.client().invoke(name, query, t.profile().requestTimeout());
            t.call(variant, "", rep, "duration_ms", call);
            if (call.ok()) {
                extra.accept(call, rep);
            }
            t.step();
        }
        t.remove(name);
    }
}
