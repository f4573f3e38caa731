package dev.isola.bench.report;

import dev.isola.bench.result.GroupKey;

import java.util.Objects;
import java.util.Set;

/**
 * One number of the paper (Moebius et al., arXiv:2403.00515), keyed like our groups so the report can show it
 * beside ours. An empty runtime, variant or x in its key matches any: the paper does not distinguish it. The paper
 * measured Go and Node.js only, so a group of another runtime (Python) has no paper value at all.
 *
 * @param figure  the paper's figure the number belongs to
 * @param note    where the number comes from (paper text, or the authors' artifact data the figure plots)
 */
public record PaperValue(int figure, GroupKey key, double value, String unit, String note) {
    /** Runtimes of ours the paper did not measure. */
    static final Set<String> UNMEASURED_RUNTIMES = Set.of("python");

    public PaperValue {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(unit, "unit");
        Objects.requireNonNull(note, "note");
        if (figure < 1 || !Double.isFinite(value)) {
            throw new IllegalArgumentException("figure must be >= 1 and value finite: " + figure + ", " + value);
        }
    }

    /** Same experiment, backend and metric; runtime, variant and x equal or unspecified here. */
    boolean matches(GroupKey group) {
        return matchesSeries(group) && wildcard(key.x(), group.x());
    }

    /** Like {@link #matches} for any x: the value belongs to this line of a line figure. */
    boolean matchesSeries(GroupKey group) {
        return !UNMEASURED_RUNTIMES.contains(group.runtime()) && key.experiment().equals(group.experiment()) && key.backend().equals(group.backend())
                && key.metric().equals(group.metric()) && wildcard(key.runtime(), group.runtime())
                && wildcard(key.variant(), group.variant());
    }

    /** How many of runtime, variant and x are specified: an exact match wins over a wildcard one. */
    int specificity() {
        return (key.runtime().isEmpty() ? 0 : 1) + (key.variant().isEmpty() ? 0 : 1) + (key.x().isEmpty() ? 0 : 1);
    }

    private static boolean wildcard(String mine, String theirs) {
        return mine.isEmpty() || mine.equals(theirs);
    }
}
