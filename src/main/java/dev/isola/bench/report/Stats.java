package dev.isola.bench.report;

import org.apache.commons.math3.distribution.TDistribution;

import java.util.Arrays;
import java.util.OptionalDouble;

/**
 * Descriptive statistics of the successful values of one group.
 *
 * <p>Median and p95 interpolate linearly between the closest ranks (Hyndman and Fan type 7, the default of R,
 * NumPy and spreadsheet {@code PERCENTILE.INC}), so they stay defined for the small groups of a quick run.
 * The standard deviation is the sample one (n - 1). The 95% confidence interval of the mean is
 * {@code mean ± t(0.975, n - 1) · s / √n} with Student's t quantile, not the normal 1.96: with the 3 to 10
 * repetitions of a quick run the normal interval would be far too narrow. With one value there is no spread,
 * so standard deviation and interval are absent rather than zero.
 *
 * @param n            number of values, at least 1
 * @param ciHalfWidth  half width of the 95% confidence interval of the mean; absent when n = 1
 */
public record Stats(int n, double mean, double median, double p95, OptionalDouble stddev, OptionalDouble ciHalfWidth) {
    static final double CONFIDENCE = 0.95;

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
            return new Stats(1, mean, mean, mean, OptionalDouble.empty(), OptionalDouble.empty());
        }
        double squares = Arrays.stream(sorted).map(v -> (v - mean) * (v - mean)).sum();
        double stddev = Math.sqrt(squares / (n - 1));
        double t = new TDistribution(null, n - 1).inverseCumulativeProbability(1 - (1 - CONFIDENCE) / 2);
        return new Stats(n, mean, quantile(sorted, 0.5), quantile(sorted, 0.95), OptionalDouble.of(stddev),
                OptionalDouble.of(t * stddev / Math.sqrt(n)));
    }

    /** Type 7 quantile of ascending {@code sorted}. */
    static double quantile(double[] sorted, double p) {
        double position = p * (sorted.length - 1);
        int lower = (int) Math.floor(position);
        int upper = Math.min(lower + 1, sorted.length - 1);
        return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
    }

    public OptionalDouble ciLow() {
        return ciHalfWidth.isPresent() ? OptionalDouble.of(mean - ciHalfWidth.getAsDouble()) : OptionalDouble.empty();
    }

    public OptionalDouble ciHigh() {
        return ciHalfWidth.isPresent() ? OptionalDouble.of(mean + ciHalfWidth.getAsDouble()) : OptionalDouble.empty();
    }
}
