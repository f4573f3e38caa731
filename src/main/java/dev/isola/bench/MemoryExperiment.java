package dev.isola.bench;

/**
 * Memory (paper §4.6): warm calls of {@code matrix} (two n×n float64 matrices multiplied, n = 1024: memory reads) and
 * {@code alloc} (50 MiB allocated with one byte written per 4 KiB page: page faults), variants {@code matrix} and
 * {@code alloc}, each call's completion time.
 */
final class MemoryExperiment implements Experiment {
    @Override
    public String id() {
        return "memory";
    }

    @Override
    public String metric() {
        return "duration_ms";
    }

    @Override
    public String unit() {
        return "ms";
    }

    @Override
    public int steps(BenchProfile profile) {
        return 2 * profile.reps();
    }

    @Override
    public void run(Trial t) throws InterruptedException {
        WarmCalls.measure(t, "matrix", "?n=" + t.profile().matrixN(), "matrix", (call, rep) -> {
        });
        WarmCalls.measure(t, "alloc", "?mib=" + t.profile().allocMib(), "alloc", (call, rep) -> {
        });
    }
}
