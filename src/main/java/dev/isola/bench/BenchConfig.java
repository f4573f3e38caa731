package dev.isola.bench;

import dev.isola.bench.result.Experiments;

import java.nio.file.Path;
import java.util.List;

/**
 * What one {@code isola bench} run measures and where it writes.
 *
 * @param experiments  experiment ids, in the order they run (see {@link Experiments})
 * @param backends     sandbox backends; each gets its own fresh server
 * @param runtimes     function runtimes: {@code go}, {@code node}, {@code python} (which the paper did not measure)
 * @param profile      sizes and repetitions
 * @param runDir       the run directory: new or empty, never an earlier run's
 * @param functionsDir the example functions ({@code go/<workload>}, {@code node/<workload>}, {@code python/<workload>})
 * @param buildCache   a persistent build cache shared by the run's servers (Go builds, guest kernels), so Go
 *                     functions do not rebuild the standard library on every deploy nor the guest kernel on every run
 */
public record BenchConfig(List<String> experiments, List<String> backends, List<String> runtimes,
                          BenchProfile profile, Path runDir, Path functionsDir, Path buildCache) {
    public static final List<String> RUNTIMES = List.of("go", "node", "python");

    public BenchConfig {
        experiments = List.copyOf(experiments);
        backends = List.copyOf(backends);
        runtimes = List.copyOf(runtimes);
        if (experiments.isEmpty() || backends.isEmpty() || runtimes.isEmpty()) {
            throw new IllegalArgumentException("a bench run needs at least one experiment, backend and runtime");
        }
        for (String id : experiments) {
            if (Experiments.find(id).isEmpty()) {
                throw new IllegalArgumentException("Unknown experiment '" + id + "': use one of "
                        + String.join(", ", Experiments.ids()) + " or all");
            }
        }
        for (String r : runtimes) {
            if (!RUNTIMES.contains(r)) {
                throw new IllegalArgumentException("Unknown runtime '" + r + "': use go, node or python");
            }
        }
    }
}
