package dev.isola.bench.report;

import dev.isola.bench.result.Sample;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * What one summary row aggregates over: every repetition of one experiment on one backend and runtime, for one
 * variant, x and metric. Ordered the way the report lists them: experiments and backends in the paper's order,
 * x numerically.
 */
public record GroupKey(String experiment, String backend, String runtime, String variant, String x, String metric)
        implements Comparable<GroupKey> {

    /** The paper's order of figures, then experiments the report does not know, alphabetically. */
    static final List<String> EXPERIMENT_ORDER = List.of("cold-start", "burst", "start-cost", "idle-cpu",
            "idle-memory", "cpu", "memory", "network-concurrency", "network-throughput", "disk");
    /** Isola's own backends first, then the paper's (Linux microVM, the unikernels). */
    static final List<String> BACKEND_ORDER = List.of("process", "runc", "runsc", "microvm", "nanos", "osv");
    static final List<String> RUNTIME_ORDER = List.of("go", "node");

    private static final Comparator<GroupKey> ORDER = Comparator
            .comparing(GroupKey::experiment, known(EXPERIMENT_ORDER))
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

    public static GroupKey of(Sample s) {
        return new GroupKey(s.experiment(), s.backend(), s.runtime(), s.variant(), s.x(), s.metric());
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

    static Comparator<String> known(List<String> order) {
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
