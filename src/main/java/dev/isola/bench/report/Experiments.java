package dev.isola.bench.report;

import dev.isola.bench.report.ExperimentSpec.Headline;
import dev.isola.bench.report.ExperimentSpec.Kind;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The paper's experiments (section 4, figures 3 to 13) as the report knows them, in the paper's order. */
final class Experiments {
    static final List<ExperimentSpec> ALL = List.of(
            bar("cold-start", "Cold start latency", 3, "Request completion time",
                    "One no-op request through the gateway that forces a new instance; time until the response "
                            + "is complete.",
                    "Paper: hey -c 1 -n 1 against its Rust harness; runc and runsc started through Docker."),
            new ExperimentSpec("burst", "Burst cold starts", Kind.LINE, Map.of("", 4),
                    Map.of("", "Mean completion time"), "Concurrent cold starts (n)", false, false,
                    Headline.LARGEST_X,
                    "n concurrent no-op requests, each forcing a new instance; mean completion time of the n.",
                    "Paper: n = 10 to 100 in steps of 10, every instance single-use."),
            new ExperimentSpec("start-cost", "Sandbox start cost", Kind.BAR, Map.of("", 5),
                    Map.of("", "Start cost"), "", false, false, Headline.ONLY,
                    "CPU spent to bring one instance to ready: instructions (perf) where hardware counters "
                            + "exist, else CPU time of the sandbox's processes (labelled as such).",
                    "Paper: perf instructions of the runtime or Firecracker process and its children, page "
                            + "cache evicted."),
            new ExperimentSpec("idle-cpu", "Idle CPU", Kind.BAR, Map.of("", 6),
                    Map.of("", "Idle CPU"), "", false, false, Headline.ONLY,
                    "CPU used by one idle instance during a 1 s window, 15 s after it started.",
                    "Paper: perf instructions; runc too few to record (no value)."),
            new ExperimentSpec("idle-memory", "Idle memory", Kind.LINE, Map.of("", 7),
                    Map.of("", "Memory used"), "Idle instances (n)", false, false, Headline.LARGEST_X,
                    "Drop of MemAvailable (/proc/meminfo) with n idle instances running.",
                    "Paper: 10 to 100 instances, one measurement each."),
            bar("cpu", "CPU performance", 8, "fib(10^9) time",
                    "Warm request computing the 10^9-th Fibonacci number iteratively (Go).",
                    "Paper: first warm request, end-to-end time."),
            new ExperimentSpec("memory", "Memory performance", Kind.BAR, Map.of("matrix", 9, "alloc", 10),
                    Map.of("", "Time", "matrix", "Matrix multiply time", "alloc", "Allocation time"), "", false,
                    false, Headline.ONLY,
                    "Warm requests: matrix multiplies two 1024x1024 matrices; alloc allocates 50 MiB and writes "
                            + "one byte per page.",
                    "Paper: matrix timed inside the function (multiply only); alloc end to end."),
            new ExperimentSpec("network-concurrency", "Network concurrency", Kind.LINE, Map.of("", 11),
                    Map.of("", "Throughput"), "Concurrent clients (log2)", true, true, Headline.PEAK,
                    "hey sends 32,768 no-op requests with 1 to 4096 concurrent clients, directly to one "
                            + "instance and through the gateway.",
                    "Paper: direct to the instance only; a series ends where hey reported errors."),
            bar("network-throughput", "Network throughput", 12, "Throughput",
                    "4 concurrent clients fetch a 50 MiB static file repeatedly.",
                    "Paper: 204 fetches (about 10 GiB) from 4 clients."),
            bar("disk", "File system read", 13, "Read time",
                    "Warm request that reads a 50 MiB file from the sandbox's disk into memory.",
                    "Paper: first request after a warm-up, 100 repetitions."));

    private Experiments() {
    }

    static Optional<ExperimentSpec> find(String id) {
        return ALL.stream().filter(e -> e.id().equals(id)).findFirst();
    }

    private static ExperimentSpec bar(String id, String title, int figure, String quantity, String how,
                                      String paper) {
        return new ExperimentSpec(id, title, Kind.BAR, Map.of("", figure), Map.of("", quantity), "", false, false,
                Headline.ONLY, how, paper);
    }
}
