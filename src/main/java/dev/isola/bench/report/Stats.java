package dev.isola.bench.report;

import org.apache.commons.math3.distribution.TDistribution;

import java.util.Arrays;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.SplittableRandom;

/**
 * Descriptive statistics of the successful values of one group.
 *
 * <p>Median and p95 interpolate linearly between the closest ranks (Hyndman and Fan type 7, the default of R,
 * NumPy and spreadsheet {@code PERCENTILE.INC}), so they stay defined for the small groups of a quick run.
 * The standard deviation is the sample one (n - 1).
 *
 * <p>The interval around the mean is honest about small samples and never crosses a physical bound: every metric
 * here is a duration, a size, a count or a rate, so with values that are all ≥ 0 no bound of it is below 0
 * ({@link Interval}). With one value there is no spread, so standard deviation and interval are absent.
 *
 * @param n        number of values, at least 1
 * @param interval how {@code low} and {@code high} were found
 */
public record Stats(int n, double mean, double median, double p95, OptionalDouble stddev, Interval interval,
                    OptionalDouble low, OptionalDouble high) {
    static final double CONFIDENCE = 0.95;
    /** Below this many values the interval is the range: a t interval of 2 to 4 values is mostly its quantile. */
    static final int MIN_FOR_INTERVAL = 5;
    private static final int RESAMPLES = 2000;

    /** How the interval around the mean was found; its words go into the report. */
    public enum Interval {
        /** One value: no interval. */
        NONE("none (n = 1)"),
        /** Fewer than {@value #MIN_FOR_INTERVAL} values: minimum to maximum. */
        RANGE("min-max (n < 5)"),
        /** The 95 % interval of the mean with Student's t quantile (not the normal 1.96). */
        STUDENT_T("95% CI, Student t"),
        /**
         * Where the t interval would reach below 0 for values that are all ≥ 0 (skewed, few): the 95 % percentile
         * bootstrap of the mean ({@value #RESAMPLES} resamples, a fixed seed, so a report renders the same twice),
         * which stays within the values.
         */
        BOOTSTRAP("95% CI, bootstrap");

        private final String label;

        Interval(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public Stats {
        if (n < 1) {
            throw new IllegalArgumentException("statistics need at least one value: n=" + n);
        }
    }

    /** Statistics of {@code values}, which must be non-empty and finite. */
    public static Stats of(double[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("statistics need at least one value");
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        double mean = Arrays.stream(sorted).sum() / n;
        if (n == 1) {
            return new Stats(1, mean, mean, mean, OptionalDouble.empty(), Interval.NONE, OptionalDouble.empty(),
                    OptionalDouble.empty());
        }
        double squares = Arrays.stream(sorted).map(v -> (v - mean) * (v - mean)).sum();
        double stddev = Math.sqrt(squares / (n - 1));
        double median = quantile(sorted, 0.5);
        double p95 = quantile(sorted, 0.95);
        if (n < MIN_FOR_INTERVAL) {
            return new Stats(n, mean, median, p95, OptionalDouble.of(stddev), Interval.RANGE,
                    OptionalDouble.of(sorted[0]), OptionalDouble.of(sorted[n - 1]));
        }
        double t = new TDistribution(null, n - 1).inverseCumulativeProbability(1 - (1 - CONFIDENCE) / 2);
        double half = t * stddev / Math.sqrt(n);
        if (mean - half < 0 && sorted[0] >= 0) {
            double[] means = bootstrapMeans(sorted);
            return new Stats(n, mean, median, p95, OptionalDouble.of(stddev), Interval.BOOTSTRAP,
                    OptionalDouble.of(quantile(means, (1 - CONFIDENCE) / 2)),
                    OptionalDouble.of(quantile(means, 1 - (1 - CONFIDENCE) / 2)));
        }
        return new Stats(n, mean, median, p95, OptionalDouble.of(stddev), Interval.STUDENT_T,
                OptionalDouble.of(mean - half), OptionalDouble.of(mean + half));
    }

    /** The means of {@value #RESAMPLES} resamples with replacement, ascending. */
    private static double[] bootstrapMeans(double[] values) {
        SplittableRandom random = new SplittableRandom(1);
        double[] means = new double[RESAMPLES];
        for (int r = 0; r < RESAMPLES; r++) {
            double sum = 0;
            for (int i = 0; i < values.length; i++) {
                sum += values[random.nextInt(values.length)];
            }
            means[r] = sum / values.length;
        }
        Arrays.sort(means);
        return means;
    }

    /** Type 7 quantile of ascending {@code sorted}. */
    static double quantile(double[] sorted, double p) {
        double position = p * (sorted.length - 1);
        int lower = (int) Math.floor(position);
        int upper = Math.min(lower + 1, sorted.length - 1);
        return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
    }
}
