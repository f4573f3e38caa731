package dev.isola.bench.result;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * What was measured, and where: everything that identifies a value but its repetition. Every repetition of one
 * measurement shares it, so the report groups samples by it (one summary row per key), and the paper's values are
 * keyed by it too. Ordered the way the report lists them: experiments in the paper's order, then backends, x
 * numerically.
 *
 * @param experiment  experiment id, e.g. {@code cold-start}, {@code burst}, {@code idle-memory}
 * @param backend     sandbox backend, e.g. {@code runc}
 * @param runtime     function runtime, {@code go} or {@code node}
 * @param variant     sub-case of the experiment ({@code matrix}/{@code alloc}, {@code direct}/{@code gateway},
 *                    {@code cpu-time}/{@code instructions}); empty when the experiment has none
 * @param x           independent variable of a line experiment (burst size, instance count, clients); empty
 *                    for bar experiments
 * @param metric      what was measured, snake case with the unit's meaning, e.g. {@code completion_ms}
 */
public record GroupKey(String experiment, String backend, String runtime, String variant, String x, String metric)
        implements Comparable<GroupKey> {

    /** Isola's own backends first, then the paper's (Linux microVM, the unikernels). */
    private static final List<String> BACKEND_ORDER = List.of("process", "runc", "runsc", "microvm", "nanos", "osv");
    private static final List<String> RUNTIME_ORDER = List.of("go", "node", "python");

    /** Experiments in the paper's order, then those the catalogue does not know, alphabetically. */
    private static final Comparator<GroupKey> ORDER = Comparator
            .comparing(GroupKey::experiment, known(Experiments.ids()))
            .thenComparing(GroupKey::variant)
            .thenComparing(GroupKey::metric)
            .thenComparing(GroupKey::backend, known(BACKEND_ORDER))
            .thenComparing(GroupKey::runtime, known(RUNTIME_ORDER))
            .thenComparing(GroupKey::x, GroupKey::compareX);

    public GroupKey {
        Objects.requireNonNull(experiment, "experiment");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(runtime, "runtime");
        Objects.requireNonNull(variant, "variant");
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(metric, "metric");
    }

    /** x as a number, absent when it is empty or not numeric. */
    public OptionalDouble xValue() {
        try {
            return x.isEmpty() ? OptionalDouble.empty() : OptionalDouble.of(Double.parseDouble(x));
        } catch (NumberFormatException e) {
            return OptionalDouble.empty();
        }
    }

    /** The same group without x: one series of a line figure. */
    public GroupKey withoutX() {
        return new GroupKey(experiment, backend, runtime, variant, "", metric);
    }

    @Override
    public int compareTo(GroupKey other) {
        return ORDER.compare(this, other);
    }

    private static Comparator<String> known(List<String> order) {
        return Comparator.<String>comparingInt(s -> order.contains(s) ? order.indexOf(s) : order.size())
                .thenComparing(Comparator.naturalOrder());
    }

    private static int compareX(String a, String b) {
        try {
            return Double.compare(Double.parseDouble(a), Double.parseDouble(b));
        } catch (NumberFormatException e) {
            return a.compareTo(b);
        }
    }
}
