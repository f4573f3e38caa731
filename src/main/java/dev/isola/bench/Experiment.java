package dev.isola.bench;

/**
 * One experiment of the paper, run for one backend and one runtime. It deploys what it needs through the API, records
 * every measured value through {@link Trial} (failed repetitions included, as rows with status timeout/error), and
 * removes its functions again. {@link InterruptedException} means the run is being stopped (Ctrl-C): return at once,
 * what was recorded stays.
 */
interface Experiment {
    /** The experiment id, also the raw file name: {@code cold-start}, {@code burst}, ... */
    String id();

    /** The main metric and its unit: a failure of the whole experiment is recorded under it. */
    String metric();

    String unit();

    /** Progress steps of one run with this profile (repetitions × x values × variants); one per repetition here. */
    default int steps(BenchProfile profile) {
        return profile.reps();
    }

    void run(Trial trial) throws InterruptedException;
}
