package dev.isola.bench.report;

import java.util.Objects;

/**
 * One number of the paper (Moebius et al., arXiv:2403.00515), keyed like our groups so the report can show it
 * beside ours. An empty runtime, variant or x matches any: the paper does not distinguish it.
 *
 * @param figure  the paper's figure the number belongs to
 * @param note    where the number comes from (paper text, or the authors' artifact data the figure plots)
 */
public record PaperValue(int figure, String experiment, String backend, String runtime, String variant, String x,
                         String metric, double value, String unit, String note) {
    public PaperValue {
        Objects.requireNonNull(experiment, "experiment");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(runtime, "runtime");
        Objects.requireNonNull(variant, "variant");
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(metric, "metric");
        Objects.requireNonNull(unit, "unit");
        Objects.requireNonNull(note, "note");
        if (figure < 1 || !Double.isFinite(value)) {
            throw new IllegalArgumentException("figure must be >= 1 and value finite: " + figure + ", " + value);
        }
    }

    /** Same experiment, backend and metric; runtime, variant and x equal or unspecified here. */
    boolean matches(GroupKey key) {
        return matchesSeries(key) && wildcard(x, key.x());
    }

    /** Like {@link #matches} for any x: the value belongs to this line of a line figure. */
    boolean matchesSeries(GroupKey key) {
        return experiment.equals(key.experiment()) && backend.equals(key.backend()) && metric.equals(key.metric())
                && wildcard(runtime, key.runtime()) && wildcard(variant, key.variant());
    }

    /** How many of runtime, variant and x are specified: an exact match wins over a wildcard one. */
    int specificity() {
        return (runtime.isEmpty() ? 0 : 1) + (variant.isEmpty() ? 0 : 1) + (x.isEmpty() ? 0 : 1);
    }

    private static boolean wildcard(String mine, String theirs) {
        return mine.isEmpty() || mine.equals(theirs);
    }
}
