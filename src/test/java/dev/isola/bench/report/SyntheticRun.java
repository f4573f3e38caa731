package dev.isola.bench.report;

import dev.isola.bench.result.Sample;
import dev.isola.bench.result.SampleCsv;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a run directory like {@code isola bench} does: one raw CSV per experiment, three backends, two runtimes,
 * three repetitions, with a few failures (one runsc/node cold start timed out, every microvm disk read failed).
 */
final class SyntheticRun {
    static final List<String> BACKENDS = List.of("runc", "runsc", "microvm");
    static final List<String> RUNTIMES = List.of("go", "node");
    static final int REPS = 3;
    static final String NASTY_ERROR = "<script>alert('x')</script> & \"quoted\"";

    private SyntheticRun() {
    }

    static void write(Path runDir, List<String> experiments) throws IOException {
        Files.createDirectories(runDir.resolve("raw"));
        for (String experiment : experiments) {
            SampleCsv.write(runDir.resolve("raw").resolve(experiment + ".csv"), samples(experiment));
        }
        Files.writeString(runDir.resolve("metadata.json"), """
                {"isola_version": "0.1.0-SNAPSHOT",
                 "host": {"cpu": "Test CPU <8 cores>", "kernel": "6.8.0", "accelerator": "kvm"},
                 "tools": {"runc": "1.1.12", "runsc": "20240101"},
                 "config": {"reps": 3, "quick": true, "backends": ["runc", "runsc", "microvm"],
                            "runtimes": ["go", "node"]},
                 "start": "2025-01-01T10:00:00Z", "end": "2025-01-01T11:00:00Z", "interrupted": false}
                """);
    }

    static List<Sample> samples(String experiment) {
        List<Sample> out = new ArrayList<>();
        for (int b = 0; b < BACKENDS.size(); b++) {
            for (int r = 0; r < RUNTIMES.size(); r++) {
                String backend = BACKENDS.get(b);
                String runtime = RUNTIMES.get(r);
                double base = 100 * (b + 1) + 10 * r;
                switch (experiment) {
                    case "cold-start" -> bar(out, experiment, backend, runtime, "", "completion_ms", "ms", base);
                    case "burst" -> {
                        for (int n : new int[] {10, 20, 30}) {
                            line(out, experiment, backend, runtime, "", n, "mean_ms", "ms", base * n / 10);
                        }
                    }
                    case "start-cost" -> {
                        bar(out, experiment, backend, runtime, "instructions", "instructions_millions", "millions",
                                base);
                        bar(out, experiment, backend, runtime, "cpu-time", "cpu_ms", "ms", base / 10);
                    }
                    case "idle-cpu" -> bar(out, experiment, backend, runtime, "", "instructions_millions", "millions",
                            base / 1000);
                    case "idle-memory" -> {
                        for (int n : new int[] {1, 2, 4}) {
                            line(out, experiment, backend, runtime, "", n, "mem_used_mib", "MiB", base * n);
                        }
                    }
                    case "cpu" -> bar(out, experiment, backend, runtime, "", "duration_ms", "ms", base + 400);
                    case "memory" -> {
                        bar(out, experiment, backend, runtime, "matrix", "duration_ms", "ms", base + 300);
                        bar(out, experiment, backend, runtime, "alloc", "duration_ms", "ms", base / 5);
                    }
                    case "network-concurrency" -> {
                        for (String variant : List.of("direct", "gateway")) {
                            for (int clients : new int[] {1, 2, 4, 8}) {
                                line(out, experiment, backend, runtime, variant, clients, "requests_per_s", "req/s",
                                        base * 10 * clients);
                            }
                        }
                    }
                    case "network-throughput" -> bar(out, experiment, backend, runtime, "", "throughput_mib_s",
                            "MiB/s", base * 10);
                    case "disk" -> bar(out, experiment, backend, runtime, "", "duration_ms", "ms", base);
                    case "fast-start" -> {
                        bar(out, experiment, backend, runtime, "cold", "completion_ms", "ms", base);
                        bar(out, experiment, backend, runtime, "fast", "completion_ms", "ms", base / 4);
                        bar(out, experiment, backend, runtime, "warm", "completion_ms", "ms", 1);
                    }
                    case "density" -> {
                        for (int n : new int[] {100, 1000}) {
                            line(out, experiment, backend, runtime, "", n, "mem_per_instance_mib", "MiB", base / 50);
                            line(out, experiment, backend, runtime, "start", n, "start_s", "s", base * n / 1e4);
                        }
                    }
                    default -> throw new IllegalArgumentException(experiment);
                }
            }
        }
        return out;
    }

    private static void bar(List<Sample> out, String experiment, String backend, String runtime, String variant,
                            String metric, String unit, double base) {
        for (int rep = 0; rep < REPS; rep++) {
            boolean coldStartTimeout = experiment.equals("cold-start") && backend.equals("runsc")
                    && runtime.equals("node") && rep == 2;
            boolean diskFails = experiment.equals("disk") && backend.equals("microvm");
            if (coldStartTimeout) {
                out.add(Sample.failed(experiment, backend, runtime, variant, "", rep, metric, unit,
                        Sample.Status.TIMEOUT, "no response in 30 s"));
            } else if (diskFails) {
                out.add(Sample.failed(experiment, backend, runtime, variant, "", rep, metric, unit,
                        Sample.Status.ERROR, NASTY_ERROR));
            } else {
                out.add(Sample.ok(experiment, backend, runtime, variant, "", rep, metric, base + rep, unit));
            }
        }
    }

    private static void line(List<Sample> out, String experiment, String backend, String runtime, String variant,
                             int x, String metric, String unit, double base) {
        // A slow backend's largest burst passes the bench's timeout, as microVMs under TCG do.
        boolean burstTimesOut = experiment.equals("burst") && backend.equals("microvm") && runtime.equals("node")
                && x == 30;
        for (int rep = 0; rep < REPS; rep++) {
            out.add(burstTimesOut ? Sample.failed(experiment, backend, runtime, variant, Integer.toString(x), rep,
                    metric, unit, Sample.Status.TIMEOUT, "2 of 30 calls failed")
                    : Sample.ok(experiment, backend, runtime, variant, Integer.toString(x), rep, metric, base + rep,
                    unit));
        }
    }
}
