package dev.isola.cli;

import dev.isola.bench.BenchConfig;
import dev.isola.bench.BenchException;
import dev.isola.bench.BenchProfile;
import dev.isola.bench.BenchRunner;
import dev.isola.bench.Progress;
import dev.isola.bench.RunDirectory;
import dev.isola.bench.RunMerge;
import dev.isola.bench.report.BenchReport;
import dev.isola.bench.result.Experiments;
import dev.isola.config.ConfigLoader;
import dev.isola.config.IsolaConfig;
import dev.isola.server.HostBackends;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code isola bench}: runs the paper's experiments against an Isola started in this process (a fresh state directory
 * per backend), through the same HTTP API users call, and writes a new run directory (raw CSV, metadata.json, report).
 * Ctrl-C stops cleanly: the shutdown hook asks the runner to stop and waits while it stops the server (and so every
 * instance), writes the metadata of a partial run and renders the report of what finished.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        subcommands = {BenchCommand.Report.class, BenchCommand.Merge.class},
        description = {"Run the paper's experiments on this host and write raw results, metadata and a report.",
                "EXPERIMENT is 'all' or any of: cold-start, burst, start-cost, idle-cpu, idle-memory, cpu, memory, "
                        + "network-concurrency, network-throughput, disk, and Isola's own fast-start (cold, standby "
                        + "or clone, and warm starts beside the paper's cold starts) and density (live idle "
                        + "instances per node)."})
final class BenchCommand implements Callable<Integer> {
    private static final Duration STOP_WAIT = Duration.ofMinutes(2);
    private static final Pattern SIZE = Pattern.compile("([0-9]{1,9})(Mi|Gi)B?");

    @Spec
    CommandSpec spec;

    // 0..*, checked in call(): picocli would otherwise demand an EXPERIMENT before the subcommands too.
    @Parameters(arity = "0..*", paramLabel = "EXPERIMENT", description = "Experiments to run, or 'all'.")
    List<String> experiments = List.of();

    @Option(names = "--backends", split = ",", paramLabel = "TYPE",
            description = "Sandbox backends (default: every backend this host can run, see 'isola doctor').")
    List<String> backends;

    @Option(names = "--runtimes", split = ",", paramLabel = "RUNTIME", defaultValue = "go,node",
            description = "Function runtimes: go, node, python (default: ${DEFAULT-VALUE}, the paper's; the paper "
                    + "has no Python, and pure Python's matrix takes about 40 s a call).")
    List<String> runtimes;

    @Option(names = "--reps", paramLabel = "N",
            description = "Repetitions of every measurement (default: 100 as the paper; 2 with --quick).")
    Integer reps;

    @Option(names = "--quick", description = "Small sizes for a smoke test (a minute or two per backend).")
    boolean quick;

    @Option(names = "--counts", split = ",", paramLabel = "N",
            description = "Instance counts of the burst and idle-memory experiments (default: 10,20,...,100 as the "
                    + "paper; 2,4 and 1,2 with --quick).")
    List<Integer> counts;

    @Option(names = "--density-counts", split = ",", paramLabel = "N",
            description = "Live idle instance counts of the density experiment, e.g. 500,1000,5000 (default: "
                    + "100,1000; 3 with --quick). A count past the host's memory is not started.")
    List<Integer> densityCounts;

    @Option(names = "--out", paramLabel = "DIR",
            description = "Run directory; must not exist or be empty (default: bench/results/<UTC timestamp>).")
    Path out;

    @Option(names = "--throughput-total", paramLabel = "SIZE",
            description = "Data moved per network-throughput repetition, e.g. 10Gi, 512Mi (default: 10Gi; 4Mi with "
                    + "--quick).")
    String throughputTotal;

    @Option(names = "--functions", paramLabel = "DIR",
            description = "The example functions, holding go/ and node/ (default: $ISOLA_HOME/functions).")
    Path functionsDir;

    @Option(names = {"--build-cache", "--go-cache"}, paramLabel = "DIR",
            description = "Persistent build cache (Go builds, guest kernels) shared by runs "
                    + "(default: ~/.cache/isola/bench-build-cache).")
    Path buildCache;

    @Option(names = "--verbose", description = "Show the server's log lines (hidden by default: they would "
            + "interleave with the progress line).")
    boolean verbose;

    /** The platform's configuration (environment and defaults), loaded once, after the arguments were checked. */
    private IsolaConfig platform;

    @Override
    public Integer call() {
        PrintWriter stdout = spec.commandLine().getOut();
        BenchConfig config = config();
        if (!verbose) {
            Logger.getLogger("").setLevel(Level.WARNING);
        }
        HostBackends.of(IsolaConfig.defaults().withBuildCache(config.buildCache())).prepare(config.backends(), line -> {
            stdout.println(line);
            stdout.flush();
        });
        // Every host program the bench runs (hey, perf, sync, version probes) is looked up on the platform's PATH.
        BenchRunner runner = BenchRunner.onHost(config, platform(), Progress.console(stdout));
        Thread hook = new Thread(() -> runner.stop(STOP_WAIT), "isola-bench-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        stdout.printf("isola bench: %s on %s (%s), %d reps%s -> %s%n", String.join(" ", config.experiments()),
                String.join(",", config.backends()), String.join(",", config.runtimes()), config.profile().reps(),
                config.profile().quick() ? ", quick" : "", config.runDir());
        stdout.flush();
        BenchRunner.Result result;
        try {
            result = runner.run();
        } catch (BenchException e) {
            spec.commandLine().getErr().println("Error: " + e.getMessage());
            return 1;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // Already shutting down (Ctrl-C): the hook is what is waiting for us.
            }
        }
        stdout.printf("%s: %d rows in %s%n", result.interrupted() ? "Interrupted" : "Done", result.rows(),
                result.runDir());
        stdout.flush();
        return result.interrupted() ? 130 : 0;
    }

    private BenchConfig config() {
        if (experiments.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "Missing EXPERIMENT: name one or more, or 'all'");
        }
        List<String> ids = new ArrayList<>();
        for (String e : experiments) {
            if (e.equals("all")) {
                ids.addAll(Experiments.ids());
            } else if (Experiments.ids().contains(e)) {
                ids.add(e);
            } else {
                throw new ParameterException(spec.commandLine(), "Unknown experiment '" + e + "': use all or any of "
                        + String.join(", ", Experiments.ids()));
            }
        }
        BenchProfile profile = quick ? BenchProfile.quickProfile() : BenchProfile.paper(BenchProfile.PAPER_REPS);
        if (reps != null) {
            if (reps < 1) {
                throw new ParameterException(spec.commandLine(), "--reps must be at least 1");
            }
            profile = profile.withReps(reps);
        }
        if (counts != null) {
            if (counts.stream().anyMatch(n -> n < 1)) {
                throw new ParameterException(spec.commandLine(), "--counts must be at least 1 each, not " + counts);
            }
            profile = profile.withCounts(counts);
        }
        if (densityCounts != null) {
            if (densityCounts.stream().anyMatch(n -> n < 1)) {
                throw new ParameterException(spec.commandLine(), "--density-counts must be at least 1 each, not "
                        + densityCounts);
            }
            profile = profile.withDensityCounts(densityCounts);
        }
        if (throughputTotal != null) {
            Matcher m = SIZE.matcher(throughputTotal.strip());
            if (!m.matches()) {
                throw new ParameterException(spec.commandLine(), "--throughput-total must be a size in MiB or GiB "
                        + "such as 10Gi or 512Mi, not '" + throughputTotal + "'");
            }
            long mib = Long.parseLong(m.group(1)) * (m.group(2).startsWith("G") ? 1024 : 1);
            profile = profile.withThroughputTotalMib(Math.max(profile.fileMib(), mib));
        }
        Path home = Path.of(ConfigLoader.environment("ISOLA_HOME").orElse("."));
        Path runDir = Optional.ofNullable(out).orElseGet(() -> RunDirectory.fresh(home.resolve("bench/results"),
                Instant.now()));
        Path functions = Optional.ofNullable(functionsDir).orElse(home.resolve("functions"));
        Path cache = Optional.ofNullable(buildCache).orElse(Path.of(System.getProperty("user.home"), ".cache", "isola",
                "bench-build-cache"));
        try {
            return new BenchConfig(List.copyOf(new LinkedHashSet<>(ids)), backends == null ? availableBackends()
                    : backends, runtimes, profile, runDir, functions, cache);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private List<String> availableBackends() {
        return HostBackends.of(platform()).runnable().stream().sorted().toList();
    }

    private IsolaConfig platform() {
        if (platform == null) {
            platform = ConfigLoader.load(Optional.empty());
        }
        return platform;
    }

    /** {@code isola bench merge --out DIR RUN...}: runs of different backends made one run, and its report. */
    @Command(name = "merge", mixinStandardHelpOptions = true,
            description = {"Merge runs of different backends (a full profile made in parts) into one run, and render "
                    + "its report.", "Each point of a series (an experiment's rows of one backend, runtime and size) "
                    + "must come from one run only, unless --replace is given: then the later run's series of that "
                    + "experiment and backend replaces the earlier ones whole."})
    static final class Merge implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "The merged run (new or empty).")
        Path out;

        @Parameters(arity = "2..*", paramLabel = "RUN", description = "Run directories, each holding raw/.")
        List<Path> runs;

        @Option(names = "--replace", description = "A later RUN's experiment on a backend replaces an earlier RUN's "
                + "(a series measured again); metadata.json lists what was replaced.")
        boolean replace;

        @Override
        public Integer call() {
            try {
                RunMerge.merge(runs, out, replace);
            } catch (BenchException e) {
                spec.commandLine().getErr().println("Error: " + e.getMessage());
                return 1;
            }
            return Report.render(spec, out);
        }
    }

    /** {@code isola bench report DIR}: renders the figures and report of a run again from its raw results. */
    @Command(name = "report", mixinStandardHelpOptions = true,
            description = "Re-render the figures and report of a bench run from its raw results and metadata.")
    static final class Report implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "DIR", description = "A run directory (holding raw/ and metadata.json).")
        Path dir;

        @Override
        public Integer call() {
            try {
                RunDirectory.requireRun(dir);
            } catch (BenchException e) {
                spec.commandLine().getErr().println("Error: " + e.getMessage());
                return 1;
            }
            return render(spec, dir);
        }

        static int render(CommandSpec spec, Path dir) {
            try {
                BenchReport.render(dir);
            } catch (RuntimeException e) {
                spec.commandLine().getErr().println("Error: failed to render the report of " + dir + ": "
                        + (e.getMessage() == null ? e : e.getMessage()));
                return 1;
            }
            spec.commandLine().getOut().println("Report written to " + dir);
            return 0;
        }
    }
}
