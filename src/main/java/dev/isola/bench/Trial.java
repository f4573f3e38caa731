package dev.isola.bench;

import dev.isola.bench.result.Sample;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * Everything one experiment run (one backend, one runtime) works with: the profile, the API client, the example
 * functions, the run's host tools (hey, perf, the page-cache drop), where rows go, progress, and the stop signal. Row helpers fill in experiment, backend and runtime, so an
 * experiment only says what it measured.
 */
final class Trial {
    private static final Duration DEPLOY_SETTLE_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration INSTANCE_READY_TIMEOUT = Duration.ofSeconds(30);

    private final String experimentId;
    private final String backend;
    private final String runtime;
    private final BenchProfile profile;
    private final BenchClient client;
    private final Workloads workloads;
    private final Tools tools;
    private final RawResultsWriter results;
    private final Progress progress;
    private final BooleanSupplier stopping;
    private final Set<String> deployed = new LinkedHashSet<>();

    Trial(String experimentId, String backend, String runtime, BenchProfile profile, BenchClient client,
          Workloads workloads, Tools tools, RawResultsWriter results, Progress progress, BooleanSupplier stopping) {
        this.experimentId = experimentId;
        this.backend = backend;
        this.runtime = runtime;
        this.profile = profile;
        this.client = client;
        this.workloads = workloads;
        this.tools = tools;
        this.results = results;
        this.progress = progress;
        this.stopping = stopping;
    }

    String backend() {
        return backend;
    }

    String runtime() {
        return runtime;
    }

    BenchProfile profile() {
        return profile;
    }

    BenchClient client() {
        return client;
    }

    Hey hey() {
        return tools.hey();
    }

    PerfStat perf() {
        return tools.perf();
    }

    MemInfo memory() {
        return tools.memory();
    }

    /** Deploys the workload for this runtime and backend; returns the function name. */
    String deploy(FunctionSpec spec) throws InterruptedException {
        String name = Workloads.name(spec, runtime);
        deployed.add(name);
        client.deploy(name, workloads.archive(spec, runtime, backend));
        return name;
    }

    /** Deploys like {@link #deploy}, or returns empty if the server refuses the manifest (a feature it lacks). */
    Optional<String> tryDeploy(FunctionSpec spec) throws InterruptedException {
        String name = Workloads.name(spec, runtime);
        if (!client.tryDeploy(name, workloads.archive(spec, runtime, backend))) {
            return Optional.empty();
        }
        deployed.add(name);
        return Optional.of(name);
    }

    /**
     * Deploys a version of the workload and returns its number: staged (built, stored, not serving) unless
     * {@code activate} or the function's first; {@link BenchClient#rollback} makes it serve without a build.
     */
    int deployVersion(FunctionSpec spec, boolean activate) throws InterruptedException {
        String name = Workloads.name(spec, runtime);
        deployed.add(name);
        return client.deployVersion(name, workloads.archive(spec, runtime, backend), activate);
    }

    /** Deletes the function and waits until its instances are gone, so the next measurement starts on a quiet host. */
    void remove(String name) throws InterruptedException {
        client.delete(name);
        client.awaitGone(name, DEPLOY_SETTLE_TIMEOUT);
        deployed.remove(name);
    }

    /**
     * Calls the function once through the gateway (starting its instance) and returns that instance's endpoint, for
     * load that must reach the instance directly, as the paper's did.
     */
    String warmEndpoint(String name, String query) throws InterruptedException {
        Call warmUp = client.invoke(name, query, profile.requestTimeout());
        if (!warmUp.ok()) {
            throw new BenchException("Failed to warm up " + name + ": " + warmUp.error());
        }
        return client.awaitReady(name, 1, INSTANCE_READY_TIMEOUT).getFirst().endpoint();
    }

    /** After a failed experiment: deletes what it left deployed, so the next one starts on a quiet host. */
    void cleanup() {
        for (String name : List.copyOf(deployed)) {
            try {
                remove(name);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                progress.note("Failed to delete " + name + " after a failed experiment: " + e.getMessage());
            }
        }
    }

    void ok(String variant, String x, int rep, String metric, double value, String unit) {
        ok(variant, x, rep, metric, value, unit, "");
    }

    /** As {@link #ok(String, String, int, String, double, String)}, with a remark kept in the raw results. */
    void ok(String variant, String x, int rep, String metric, double value, String unit, String remark) {
        results.append(Sample.ok(experimentId, backend, runtime, variant, x, rep, metric, value, unit, remark));
    }

    /**
     * A failed repetition. Not recorded once the run is stopping: on Ctrl-C the web server's own shutdown hook may
     * close the gateway before the runner stops, and the calls it cuts off are the stop's doing, not the backend's.
     */
    void failed(String variant, String x, int rep, String metric, String unit, Sample.Status status, String error) {
        if (stopping.getAsBoolean()) {
            return;
        }
        results.append(Sample.failed(experimentId, backend, runtime, variant, x, rep, metric, unit, status, error));
    }

    /** A row for a call: its completion time when it succeeded, its failure otherwise. */
    void call(String variant, String x, int rep, String metric, Call call) {
        if (call.ok()) {
            ok(variant, x, rep, metric, call.millis(), "ms");
        } else {
            failed(variant, x, rep, metric, "ms", call.status(), call.error());
        }
    }

    /** One repetition done. */
    void step() {
        progress.step();
    }

    void note(String line) {
        progress.note(line);
    }

    /** Throws when the run is being stopped; experiments call it between repetitions. */
    void checkStop() throws InterruptedException {
        if (stopping.getAsBoolean() || Thread.currentThread().isInterrupted()) {
            throw new InterruptedException("bench run stopped");
        }
    }

    /** A sleep that Ctrl-C cuts short. */
    void sleep(Duration d) throws InterruptedException {
        checkStop();
        Thread.sleep(d);
    }
}
