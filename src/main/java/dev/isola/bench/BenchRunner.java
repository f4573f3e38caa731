package dev.isola.bench;

import dev.isola.bench.report.BenchReport;
import dev.isola.bench.result.ExperimentSpec;
import dev.isola.bench.result.Experiments;
import dev.isola.bench.result.Sample;
import dev.isola.config.IsolaConfig;
import dev.isola.host.ProcessRunner;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Runs a bench: for each backend a fresh in-process server, on it each experiment for each runtime, rows appended to
 * {@code raw/} as they are measured, then {@code metadata.json} and the report.
 *
 * <p>Failures: a failed repetition is a row (the experiment's business); an experiment that cannot run at all (deploy
 * refused, hey missing, backend unavailable) is one error row under its main metric, and the run goes on.
 *
 * <p>Stopping (Ctrl-C): {@link #stop} sets a flag and interrupts the runner thread, but only while it is measuring,
 * never while it is stopping a server, so that the interrupt cannot cut an instance's shutdown short. The experiment
 * returns at its next blocking call or between repetitions; the runner then stops the server (which stops every
 * instance), writes metadata with {@code "interrupted": true} and renders the report of what finished. Rows already
 * written stay; a repetition in flight is not recorded.
 */
public final class BenchRunner {
    /**
     * @param rows        rows written
     * @param interrupted stopped before the end
     */
    public record Result(Path runDir, long rows, boolean interrupted) {
    }

    private final BenchConfig config;
    private final Tools tools;
    private final Progress progress;
    private final Object phase = new Object();
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile boolean stopping;
    private Thread runner;
    private boolean measuring;

    /**
     * @param processes runs every host program of this run (hey, perf, sync, version probes); the caller creates it
     *                  with the run's configuration
     */
    public BenchRunner(BenchConfig config, ProcessRunner processes, Progress progress) {
        this.config = config;
        this.tools = Tools.on(processes);
        this.progress = progress;
    }

    /** A run whose host programs are looked up on the platform's {@code PATH} ({@code platform.executables()}). */
    public static BenchRunner onHost(BenchConfig config, IsolaConfig platform, Progress progress) {
        return new BenchRunner(config, ProcessRunner.create(platform.executables()), progress);
    }

    public Result run() {
        synchronized (phase) {
            runner = Thread.currentThread();
        }
        RunDirectory.create(config.runDir());
        Instant started = Instant.now();
        Map<String, Object> host = HostInfo.host(tools);
        Map<String, String> versions = HostInfo.tools(tools);
        List<String> notes = notes();
        // Written at once too, so that a run killed hard (SIGKILL, power) still says what it was.
        RunDirectory.writeMetadata(config.runDir(), metadata(started, null, false, host, versions, notes));
        boolean interrupted = false;
        long rows = 0;
        try (RawResultsWriter raw = new RawResultsWriter(RunDirectory.raw(config.runDir()))) {
            try {
                for (String backend : config.backends()) {
                    if (stopping || !runBackend(backend, raw)) {
                        interrupted = true;
                        break;
                    }
                }
            } finally {
                rows = raw.rows();
            }
        } finally {
            interrupted |= stopping;
            Thread.interrupted();
            RunDirectory.writeMetadata(config.runDir(), metadata(started, Instant.now(), interrupted, host, versions,
                    notes));
            render();
            finished.countDown();
        }
        return new Result(config.runDir(), rows, interrupted);
    }

    /**
     * Asks a running bench to stop and waits up to {@code wait} for it to write its metadata and report. Safe from any
     * thread, e.g. a shutdown hook; returns at once when no run is in progress.
     */
    public void stop(Duration wait) {
        synchronized (phase) {
            stopping = true;
            if (measuring && runner != null) {
                runner.interrupt();
            }
            if (runner == null) {
                return;
            }
        }
        try {
            finished.await(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Returns false when stopped. */
    private boolean runBackend(String backend, RawResultsWriter raw) {
        BenchServer server;
        try {
            server = BenchServer.start(backend, config.buildCache());
        } catch (RuntimeException e) {
            progress.note("backend " + backend + ": " + message(e));
            for (ExperimentSpec spec : experiments()) {
                for (String runtime : config.runtimes()) {
                    raw.append(couldNotRun(spec, backend, runtime, e));
                }
            }
            return true;
        }
        try {
            BenchClient client = server.client();
            Workloads workloads = new Workloads(config.functionsDir());
            for (ExperimentSpec spec : experiments()) {
                Experiment exp = Experiment.of(spec);
                for (String runtime : config.runtimes()) {
                    if (stopping) {
                        return false;
                    }
                    Trial trial = new Trial(spec.id(), backend, runtime, config.profile(), client, workloads, tools,
                            raw, progress, () -> stopping);
                    progress.begin(spec.id(), backend, runtime, exp.steps(config.profile()));
                    if (!measure(spec, exp, trial, raw)) {
                        return false;
                    }
                    progress.end();
                }
            }
            return true;
        } finally {
            endMeasuring();
            progress.end();
            server.close();
        }
    }

    /** Runs one experiment; returns false when stopped. */
    private boolean measure(ExperimentSpec spec, Experiment exp, Trial trial, RawResultsWriter raw) {
        beginMeasuring();
        try {
            exp.run(trial);
            return true;
        } catch (InterruptedException e) {
            return false;
        } catch (RuntimeException e) {
            if (stopping) {
                return false; // an interrupted HTTP call or tool surfaces as a failure: not the experiment's
            }
            raw.append(couldNotRun(spec, trial.backend(), trial.runtime(), e));
            progress.note(spec.id() + " " + trial.backend() + "/" + trial.runtime() + " failed: " + message(e));
            return true;
        } finally {
            if (!endMeasuring()) {
                trial.cleanup();
            }
        }
    }

    /** The experiments of this run, in the order asked for (the configuration checked that each exists). */
    private List<ExperimentSpec> experiments() {
        return config.experiments().stream().map(id -> Experiments.find(id).orElseThrow()).toList();
    }

    /** The one row of an experiment that could not run at all, under its main metric. */
    private static Sample couldNotRun(ExperimentSpec spec, String backend, String runtime, RuntimeException e) {
        return Sample.failed(spec.id(), backend, runtime, "", "", 0, spec.metric(), spec.unit(), Sample.Status.ERROR,
                message(e));
    }

    private void beginMeasuring() {
        synchronized (phase) {
            measuring = true;
            if (stopping) {
                runner.interrupt();
            }
        }
    }

    /** Leaves the interruptible phase and clears a pending interrupt; returns whether the run is stopping. */
    private boolean endMeasuring() {
        synchronized (phase) {
            measuring = false;
            Thread.interrupted();
            return stopping;
        }
    }

    private void render() {
        try {
            BenchReport.render(config.runDir());
        } catch (RuntimeException | LinkageError e) {
            progress.note("The report could not be rendered (the raw data is complete): " + message(e));
        }
    }

    private List<String> notes() {
        List<String> notes = new ArrayList<>();
        if (!MemInfo.canDropCaches()) {
            notes.add("idle-memory: not root, so the page cache was not dropped before readings; values include "
                    + "page-cache noise");
        }
        notes.add("start-cost: CPU time of the instance's host process tree when ready (variant cpu-time); "
                + "instructions need perf attached before the sandbox starts, which the API cannot do");
        notes.add(tools.perf().available() ? "idle-cpu: instructions counted with perf stat (variant instructions)"
                : "idle-cpu: perf cannot count instructions on this host; CPU time of the instance's process tree "
                + "(variant cpu-time)");
        return notes;
    }

    private Map<String, Object> metadata(Instant started, Instant ended, boolean interrupted, Map<String, Object> host,
                                         Map<String, String> versions, List<String> notes) {
        BenchProfile p = config.profile();
        Map<String, Object> bench = new LinkedHashMap<>();
        bench.put("experiments", config.experiments());
        bench.put("backends", config.backends());
        bench.put("runtimes", config.runtimes());
        bench.put("reps", p.reps());
        bench.put("quick", p.quick());
        bench.put("limits", Map.of("cpus", 1, "memoryMib", 512));
        bench.put("profile", profile(p));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("isolaVersion", HostInfo.isolaVersion());
        m.put("startedAt", started.toString());
        m.put("endedAt", ended == null ? null : ended.toString());
        m.put("interrupted", interrupted);
        m.put("host", host);
        m.put("tools", versions);
        m.put("bench", bench);
        m.put("pageCacheDropped", MemInfo.canDropCaches());
        m.put("notes", notes);
        return m;
    }

    private static Map<String, Object> profile(BenchProfile p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("burstSizes", p.burstSizes());
        m.put("idleMemoryCounts", p.idleMemoryCounts());
        m.put("idleSettleMs", p.idleSettle().toMillis());
        m.put("idleWindowMs", p.idleWindow().toMillis());
        m.put("memorySettleMs", p.memorySettle().toMillis());
        m.put("heyRequests", p.heyRequests());
        m.put("heyClients", p.heyClients());
        m.put("fileMib", p.fileMib());
        m.put("throughputTotalMib", p.throughputTotalMib());
        m.put("throughputClients", p.throughputClients());
        m.put("fibN", p.fibN());
        m.put("matrixN", p.matrixN());
        m.put("allocMib", p.allocMib());
        m.put("requestTimeoutMs", p.requestTimeout().toMillis());
        return m;
    }

    static String message(Throwable e) {
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }
}
