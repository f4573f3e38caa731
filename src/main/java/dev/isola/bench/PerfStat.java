package dev.isola.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Instructions retired, counted with {@code perf stat -e instructions}, as the paper measured idle CPU. Only usable
 * where the CPU's performance counters reach this host: in most VMs they do not ("PMU not available due to
 * virtualization", perf prints {@code <not supported>}), and the benchmarks fall back to {@link ProcessTreeCpu}.
 */
final class PerfStat {
    private static volatile Optional<Boolean> available = Optional.empty();

    private PerfStat() {
    }

    /** Whether {@code perf stat} counts instructions here; probed once by counting {@code true}. */
    static boolean available() {
        Optional<Boolean> known = available;
        if (known.isPresent()) {
            return known.get();
        }
        boolean ok;
        try {
            ok = parse(run(List.of("perf", "stat", "-x,", "-e", "instructions", "--", "true"), Duration.ofSeconds(10)))
                    .isPresent();
        } catch (IOException | BenchException e) {
            ok = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        available = Optional.of(ok);
        return ok;
    }

    /** Instructions the given processes (with their threads) retire during {@code window}. */
    static long instructions(List<Long> pids, Duration window) throws InterruptedException {
        String list = pids.stream().map(String::valueOf).collect(Collectors.joining(","));
        double seconds = window.toMillis() / 1000.0;
        try {
            String out = run(List.of("perf", "stat", "-x,", "-e", "instructions", "-p", list, "--", "sleep",
                    Double.toString(seconds)), window.plusSeconds(10));
            return parse(out).orElseThrow(() -> new BenchException("Failed to count instructions with perf: "
                    + BenchClient.preview(out)));
        } catch (IOException e) {
            throw new BenchException("Failed to run perf: " + e.getMessage(), e);
        }
    }

    /** The first CSV line whose first field is a number, e.g. {@code 123456,,instructions,...}. */
    static Optional<Long> parse(String perfCsv) {
        return perfCsv.lines().map(l -> l.split(",", -1)).filter(f -> f.length > 2 && f[2].startsWith("instructions"))
                .map(f -> f[0].trim()).filter(v -> v.matches("\\d+")).map(Long::parseLong).findFirst();
    }

    /** Runs perf (our own child) and returns its stderr, where {@code perf stat} writes the counts. */
    private static String run(List<String> command, Duration timeout) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new BenchException("Failed to run perf: no result within " + timeout.toSeconds() + " s");
            }
            return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            p.destroyForcibly(); // our own child, already exited or past its deadline
        }
    }
}
