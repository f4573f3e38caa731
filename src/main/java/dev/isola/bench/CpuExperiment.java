package dev.isola.bench;

/**
 * CPU (paper §4.5): warm calls of {@code fib}. The paper computed fib(10^9) iteratively (about 0.5 s); Isola's fib is
 * the naive recursion, and n = 38 takes a similar time in Go. The figure is the call's completion time.
 */
final class CpuExperiment implements Experiment {
    @Override
    public String id() {
        return "cpu";
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
    public void run(Trial t) throws InterruptedException {
        WarmCalls.measure(t, "fib", "?n=" + t.profile().fibN(), "", (call, rep) -> {
        });
    }
}
