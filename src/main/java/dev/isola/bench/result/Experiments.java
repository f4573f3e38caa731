package dev.isola.bench.result;

import dev.isola.bench.result.ExperimentSpec.Chart;
import dev.isola.bench.result.ExperimentSpec.Headline;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The paper's experiments (section 4, figures 3 to 13), then Isola's own beyond them: the one list of their ids,
 * titles, main metrics, figures and methods. Its order is the paper's, which is also the order {@code isola bench all}
 * runs them in and the order the report lists them in.
 */
public final class Experiments {
    public static final List<ExperimentSpec> ALL = List.of(
            bar("cold-start", "Cold start latency", "completion_ms", "ms", 3, "Request completion time",
                    "One no-op request through the gateway that forces a new instance; time until the response "
                            + "is complete.",
                    "Paper: hey -c 1 -n 1 against its Rust harness; runc and runsc started through Docker."),
            line("burst", "Burst cold starts", "mean_ms", "ms", 4, "Mean completion time",
                    "Concurrent cold starts (n)",
                    "n concurrent no-op requests, each forcing a new instance; mean completion time of the n.",
                    "Paper: n = 10 to 100 in steps of 10, every instance single-use."),
            bar("start-cost", "Sandbox start cost", "cpu_ms", "ms", 5, "Start cost",
                    "CPU spent to bring one instance to ready: instructions (perf) where hardware counters "
                            + "exist, else CPU time of the sandbox's processes (labelled as such).",
                    "Paper: perf instructions of the runtime or Firecracker process and its children, page "
                            + "cache evicted."),
            bar("idle-cpu", "Idle CPU", "cpu_ms", "ms", 6, "Idle CPU",
                    "CPU used by one idle instance during a 1 s window, 15 s after it started.",
                    "Paper: perf instructions; runc too few to record (no value)."),
            line("idle-memory", "Idle memory", "mem_used_mib", "MiB", 7, "Memory used", "Idle instances (n)",
                    "Drop of MemAvailable (/proc/meminfo) with n idle instances running.",
                    "Paper: 10 to 100 instances, one measurement each."),
            bar("cpu", "CPU performance", "duration_ms", "ms", 8, "fib(10^9) time",
                    "Warm request computing the 10^9-th Fibonacci number iteratively (Go).",
                    "Paper: first warm request, end-to-end time."),
            new ExperimentSpec("memory", "Memory performance", "duration_ms", "ms", Chart.BAR,
                    Map.of("matrix", 9, "alloc", 10),
                    Map.of("", "Time", "matrix", "Matrix multiply time", "alloc", "Allocation time"), "", false,
                    false, Headline.ONLY,
                    "Warm requests: matrix multiplies two 1024x1024 matrices; alloc allocates 50 MiB and writes "
                            + "one byte per page.",
                    "Paper: matrix timed inside the function (multiply only); alloc end to end."),
            new ExperimentSpec("network-concurrency", "Network concurrency", "requests_per_s", "req/s", Chart.LINE,
                    Map.of("", 11), Map.of("", "Throughput"), "Concurrent clients (log2)", true, true,
                    Headline.PEAK,
                    "hey sends 32,768 no-op requests with 1 to 4096 concurrent clients, directly to one "
                            + "instance and through the gateway.",
                    "Paper: direct to the instance only; a series ends where hey reported errors."),
            bar("network-throughput", "Network throughput", "throughput_mib_s", "MiB/s", 12, "Throughput",
                    "4 concurrent clients fetch a 50 MiB static file repeatedly.",
                    "Paper: 204 fetches (about 10 GiB) from 4 clients."),
            bar("disk", "File system read", "duration_ms", "ms", 13, "Read time",
                    "Warm request that reads a 50 MiB file from the sandbox's disk into memory.",
                    "Paper: first request after a warm-up, 100 repetitions."),
            new ExperimentSpec("fast-start", "Starts below the sandbox floor", "completion_ms", "ms", Chart.BAR,
                    Map.of(), Map.of("", "Request completion time", "cold", "Cold start",
                    "fast", "Standby sandbox or clone start", "warm", "Warm instance",
                    "cold-memory", "Host memory per instance started as usual",
                    "fast-memory", "Host memory per standby sandbox or idle clone"), "", false, false,
                    Headline.ONLY,
                    "One no-op request per way of finding an instance, interleaved: cold (a whole new sandbox), "
                            + "fast (a new instance from a standby sandbox, scaling.standby, on runc, crun and runsc, "
                            + "or a clone of the version's saved template on microvm) and warm (a running instance). Then "
                            + "memory with n of each live (versions switched by rollback, no build between readings): "
                            + "MemAvailable drop and PSS per instance started as usual, per standby sandbox or clone.",
                    "Not in the paper, which had neither standby sandboxes nor clones: compared with its cold "
                            + "starts (figure 3), the unikernels' about 111 ms included."),
            new ExperimentSpec("density", "Density: live idle instances", "mem_per_instance_mib", "MiB",
                    Chart.LINE, Map.of(),
                    Map.of("", "Host memory per live instance", "start", "Time until all n are ready",
                            "stop", "Time until all n sandboxes stopped", "threads", "JVM threads",
                            "open-files", "Open files of the JVM", "healthz", "/healthz latency, n live / idle",
                            "admin", "Admin listing latency, n live / idle",
                            "warm-call", "Warm call to another function, n live / idle"),
                    "Live idle instances (n)", false, false, Headline.LARGEST_X,
                    "n idle hello instances started at once (a staged version with minInstances: n made to serve, "
                            + "no build in the timing), held, then stopped by a rollback: MemAvailable drop per "
                            + "instance (page cache dropped), time until all are ready and until all have stopped, "
                            + "the JVM's threads and open files, and /healthz, the admin listing and a warm call to "
                            + "another function read idle and with the n live (median and worst, as ratios). A "
                            + "count that would not fit in the host's available memory is not started; the "
                            + "failures table says so.",
                    "Not in the paper, which measured idle memory up to 100 instances (figure 7); SEUSS held "
                            + "50,000 cached instances on one node."));

    private Experiments() {
    }

    /** The experiment ids, in the paper's order. */
    public static List<String> ids() {
        return ALL.stream().map(ExperimentSpec::id).toList();
    }

    public static Optional<ExperimentSpec> find(String id) {
        return ALL.stream().filter(e -> e.id().equals(id)).findFirst();
    }

    /** An experiment drawn as one bar figure, with one quantity. */
    private static ExperimentSpec bar(String id, String title, String metric, String unit, int figure,
                                      String quantity, String how, String paper) {
        return new ExperimentSpec(id, title, metric, unit, Chart.BAR, Map.of("", figure), Map.of("", quantity), "",
                false, false, Headline.ONLY, how, paper);
    }

    /**
     * An experiment drawn as one line figure over a linear x axis, one series per backend and runtime; the main
     * table shows its largest x.
     */
    private static ExperimentSpec line(String id, String title, String metric, String unit, int figure,
                                       String quantity, String xLabel, String how, String paper) {
        return new ExperimentSpec(id, title, metric, unit, Chart.LINE, Map.of("", figure), Map.of("", quantity),
                xLabel, false, false, Headline.LARGEST_X, how, paper);
    }
}
