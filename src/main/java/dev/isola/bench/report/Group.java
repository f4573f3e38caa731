package dev.isola.bench.report;

import dev.isola.bench.result.GroupKey;
import dev.isola.bench.result.Sample;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One row of the summary: the statistics of a group's successful repetitions and the count of its failed ones.
 * Failures stay beside the numbers, per backend, so a backend that failed half its runs cannot look as good as
 * one that failed none.
 *
 * @param stats     statistics of the successful values; absent when every repetition failed
 * @param failures  failed repetitions by status ({@code timeout}, {@code error}), only the statuses that occurred
 * @param errors    the first few distinct error messages, to tell why without opening the raw CSV
 */
public record Group(GroupKey key, String unit, Optional<Stats> stats, Map<Sample.Status, Integer> failures,
                   List<String> errors) {
    static final int ERROR_EXAMPLES = 3;

    public Group {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(unit, "unit");
        Objects.requireNonNull(stats, "stats");
        failures = Map.copyOf(failures);
        errors = List.copyOf(errors);
        if (failures.containsKey(Sample.Status.OK)) {
            throw new IllegalArgumentException("ok is not a failure");
        }
    }

    public int ok() {
        return stats.map(Stats::n).orElse(0);
    }

    public int failed() {
        return failures.values().stream().mapToInt(Integer::intValue).sum();
    }

    public int failed(Sample.Status status) {
        return failures.getOrDefault(status, 0);
    }
}
