package dev.isola.bench;

import dev.isola.bench.result.Sample;

import java.time.Duration;
import java.util.OptionalLong;

/**
 * Start cost (paper §4.3): the CPU spent bringing one no-op instance to ready. The paper counted instructions with
 * perf, attached before the sandbox started; through the API the sandbox's processes are known only once they run,
 * so this measures CPU time instead (variant {@code cpu-time}, metric {@code cpu_ms}) on every host: the instance's
 * process tree as soon as it is ready (see {@link ProcessTreeCpu}). Each repetition deploys the function with
 * {@code minInstances: 1}, so the platform starts the instance without a request being served, reads the tree, and
 * deletes the function.
 */
final class StartCostExperiment implements Experiment {
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(2);

    @Override
    public void run(Trial t) throws InterruptedException {
        for (int rep = 0; rep < t.profile().reps(); rep++) {
            t.checkStop();
            String name = t.deploy(FunctionSpec.idle("hello", 1));
            try {
                OptionalLong pid = t.client().awaitReady(name, 1, READY_TIMEOUT).getFirst().pid();
                if (pid.isEmpty()) {
                    t.failed("cpu-time", "", rep, "cpu_ms", "ms", Sample.Status.ERROR,
                            "the " + t.backend() + " backend reports no host process for its instances");
                } else {
                    t.ok("cpu-time", "", rep, "cpu_ms", ProcessTreeCpu.read(pid.getAsLong()).totalMillis(), "ms");
                }
            } catch (BenchException e) {
                t.failed("cpu-time", "", rep, "cpu_ms", "ms", e.status(), e.getMessage());
            }
            t.remove(name);
            t.step();
        }
    }
}
