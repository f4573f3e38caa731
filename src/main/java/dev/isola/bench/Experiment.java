package dev.isola.bench;

import dev.isola.bench.result.ExperimentSpec;

/**
 * How the runner measures one experiment of the paper (what the experiment is, its id and main metric, is its
 * {@link ExperimentSpec}), for one backend and one runtime. It deploys what it needs through the API, records every
 * measured value through {@link Trial} (failed repetitions included, as rows with status timeout/error), and removes
 * its functions again. {@link InterruptedException} means the run is being stopped (Ctrl-C): return at once, what
 * was recorded stays.
 */
interface Experiment {
    /** The runner's implementation of a catalogued experiment. */
    static Experiment of(ExperimentSpec spec) {
        return switch (spec.id()) {
            case "cold-start" -> new ColdStartExperiment();
            case "fast-start" -> new FastStartExperiment();
            case "density" -> new DensityExperiment();
            case "burst" -> new BurstExperiment();
            case "start-cost" -> new StartCostExperiment();
            case "idle-cpu" -> new IdleCpuExperiment();
            case "idle-memory" -> new IdleMemoryExperiment();
            case "cpu" -> WarmCallExperiment.CPU;
            case "memory" -> WarmCallExperiment.MEMORY;
            case "network-concurrency" -> new NetworkConcurrencyExperiment();
            case "network-throughput" -> new NetworkThroughputExperiment();
            case "disk" -> WarmCallExperiment.DISK;
            default -> throw new IllegalArgumentException("The runner has no implementation of experiment '"
                    + spec.id() + "'");
        };
    }

    /** Progress steps of one run with this profile (repetitions × x values × variants); one per repetition here. */
    default int steps(BenchProfile profile) {
        return profile.reps();
    }

    void run(Trial trial) throws InterruptedException;
}
