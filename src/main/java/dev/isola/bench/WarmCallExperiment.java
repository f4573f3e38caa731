package dev.isola.bench;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The paper's warm workload experiments (CPU, memory, disk), which differ only in the workloads they call. Per
 * workload: deploy it with one instance, make one unrecorded call (it starts the instance; read also creates its data
 * file), then one recorded call per repetition on that warm instance, its completion time being the figure
 * ({@code duration_ms}), as the paper took hey's latency.
 */
final class WarmCallExperiment implements Experiment {
    /**
     * CPU (paper §4.5): warm calls of {@code fib}. The paper computed fib(10^9) iteratively (about 0.5 s); Isola's fib
     * is the naive recursion, and n = 38 takes a similar time in Go.
     */
    static final WarmCallExperiment CPU = new WarmCallExperiment(
            new Workload("fib", p -> "?n=" + p.fibN(), "", Optional.empty()));

    /**
     * Memory (paper §4.6): warm calls of {@code matrix} (two n×n float64 matrices multiplied, n = 1024: memory reads)
     * and {@code alloc} (50 MiB allocated with one byte written per 4 KiB page: page faults), variants {@code matrix}
     * and {@code alloc}.
     */
    static final WarmCallExperiment MEMORY = new WarmCallExperiment(
            new Workload("matrix", p -> "?n=" + p.matrixN(), "matrix", Optional.empty()),
            new Workload("alloc", p -> "?mib=" + p.allocMib(), "alloc", Optional.empty()));

    /**
     * Disk read (paper §4.8): warm calls of {@code read}, which reads a 50 MiB file (created by the warm-up call)
     * fully into memory. Besides the call's completion time, as the paper measured, the time of the read alone that
     * the function reports is recorded as {@code read_ms}.
     */
    static final WarmCallExperiment DISK = new WarmCallExperiment(
            new Workload("read", p -> "?mib=" + p.fileMib(), "", Optional.of("read_ms")));

    /** The time a function reports for its own work, in its JSON answer. */
    private static final Pattern MICROS = Pattern.compile("\"micros\"\\s*:\\s*(\\d+)");

    /**
     * One workload called warm.
     *
     * @param query          the query string of every call, from the profile's sizes
     * @param variant        the rows' variant; empty when the experiment calls one workload
     * @param ownTimeMetric  the metric under which the function's own timing of its work ({@code "micros"} in its
     *                       answer) is recorded; empty when it is not
     */
    record Workload(String name, Function<BenchProfile, String> query, String variant,
                    Optional<String> ownTimeMetric) {
    }

    private final List<Workload> workloads;

    private WarmCallExperiment(Workload... workloads) {
        this.workloads = List.of(workloads);
    }

    @Override
    public int steps(BenchProfile profile) {
        return workloads.size() * profile.reps();
    }

    @Override
    public void run(Trial t) throws InterruptedException {
        for (Workload workload : workloads) {
            measure(t, workload);
        }
    }

    private static void measure(Trial t, Workload workload) throws InterruptedException {
        String query = workload.query().apply(t.profile());
        String name = t.deploy(FunctionSpec.warm(workload.name(), 1));
        Call warmUp = t.client().invoke(name, query, t.profile().requestTimeout());
        if (!warmUp.ok() && warmUp.httpStatus() / 100 != 4) {
            // A 4xx is the call's own fault and is recorded per repetition below; anything else means no instance.
            throw new BenchException("Failed to warm up " + name + ": " + warmUp.error());
        }
        for (int rep = 0; rep < t.profile().reps(); rep++) {
            t.checkStop();
            Call call = t.client().invoke(name, query, t.profile().requestTimeout());
            t.call(workload.variant(), "", rep, "duration_ms", call);
            if (call.ok() && workload.ownTimeMetric().isPresent()) {
                recordOwnTime(t, workload, rep, call);
            }
            t.step();
        }
        t.remove(name);
    }

    private static void recordOwnTime(Trial t, Workload workload, int rep, Call call) {
        Matcher m = MICROS.matcher(call.body());
        if (m.find()) {
            t.ok(workload.variant(), "", rep, workload.ownTimeMetric().orElseThrow(),
                    Long.parseLong(m.group(1)) / 1000.0, "ms");
        }
    }
}
