package dev.isola.bench;

import dev.isola.host.Command;
import dev.isola.host.CommandResult;
import dev.isola.host.ProcessRunner;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Instructions retired, counted with {@code perf stat -e instructions}, as the paper measured idle CPU. Only usable
 * where the CPU's performance counters reach this host: in most VMs they do not ("PMU not available due to
 * virtualization", perf prints {@code <not supported>}), and the benchmarks fall back to {@link ProcessTreeCpu}.
 *
 * <p>perf writes its counts to stderr, which the {@link ProcessRunner} merges with stdout (the measured command's,
 * {@code true} or {@code sleep}, which prints nothing); {@link #parse} picks the instructions line out of either.
 */
final class PerfStat {
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(10);
    /** How long perf may take beyond its window: start-up, attaching to the processes, printing. */
    private static final Duration WINDOW_GRACE = Duration.ofSeconds(10);

    private final ProcessRunner runner;
    private volatile Optional<Boolean> available = Optional.empty();

    PerfStat(ProcessRunner runner) {
        this.runner = runner;
    }

    /** Whether {@code perf stat} counts instructions here; probed once by counting {@code true}. */
    boolean available() {
        Optional<Boolean> known = available;
        if (known.isPresent()) {
            return known.get();
        }
        boolean ok;
        try {
            ok = parse(run(List.of("stat", "-x,", "-e", "instructions", "--", "true"), PROBE_TIMEOUT)).isPresent();
        } catch (BenchException e) {
            ok = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        available = Optional.of(ok);
        return ok;
    }

    /** Instructions the given processes (with their threads) retire during {@code window}. */
    long instructions(List<Long> pids, Duration window) throws InterruptedException {
        String list = pids.stream().map(String::valueOf).collect(Collectors.joining(","));
        double seconds = window.toMillis() / 1000.0;
        String out = run(List.of("stat", "-x,", "-e", "instructions", "-p", list, "--", "sleep",
                Double.toString(seconds)), window.plus(WINDOW_GRACE));
        return parse(out).orElseThrow(() -> new BenchException("Failed to count instructions with perf: "
                + BenchClient.preview(out)));
    }

    /** The first CSV line whose third field names the instructions event, e.g. {@code 123456,,instructions,...}. */
    static Optional<Long> parse(String perfCsv) {
        return perfCsv.lines().map(l -> l.split(",", -1)).filter(f -> f.length > 2 && f[2].startsWith("instructions"))
                .map(f -> f[0].trim()).filter(v -> v.matches("\\d+")).map(Long::parseLong).findFirst();
    }

    /**
     * Runs perf (from the platform's PATH) with {@code arguments} to its end and returns its output, whatever its
     * exit status: the counts say whether it counted.
     */
    private String run(List<String> arguments, Duration timeout) throws InterruptedException {
        Path perf = runner.executables().find("perf").orElseThrow(() -> new BenchException("Failed to run perf: "
                + "it is not installed (not on PATH)"));
        List<String> argv = new ArrayList<>(arguments.size() + 1);
        argv.add(perf.toString());
        argv.addAll(arguments);
        CommandResult result = Tools.result(runner, Command.of(argv).withTimeout(timeout));
        if (result.timedOut()) {
            throw new BenchException("Failed to run perf: no result within " + timeout.toSeconds() + " s");
        }
        return result.output();
    }
}
