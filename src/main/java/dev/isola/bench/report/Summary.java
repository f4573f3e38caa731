package dev.isola.bench.report;

import dev.isola.bench.result.GroupKey;
import dev.isola.bench.result.Sample;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Every group of a run, in report order. Samples are grouped by {@link GroupKey}; the unit is the first
 * non-empty one a group's samples name.
 */
public record Summary(List<Group> groups) {
    public Summary {
        groups = List.copyOf(groups);
    }

    public static Summary of(List<Sample> samples) {
        Map<GroupKey, List<Sample>> byKey = new TreeMap<>();
        for (Sample s : samples) {
            byKey.computeIfAbsent(s.key(), k -> new ArrayList<>()).add(s);
        }
        List<Group> groups = new ArrayList<>();
        byKey.forEach((key, members) -> groups.add(group(key, members)));
        return new Summary(groups);
    }

    private static Group group(GroupKey key, List<Sample> members) {
        double[] values = members.stream().filter(Sample::ok).mapToDouble(s -> s.value().getAsDouble()).toArray();
        Map<Sample.Status, Integer> failures = new EnumMap<>(Sample.Status.class);
        Set<String> errors = new LinkedHashSet<>();
        for (Sample s : members) {
            if (!s.ok()) {
                failures.merge(s.status(), 1, Integer::sum);
                if (errors.size() < Group.ERROR_EXAMPLES && !s.error().isBlank()) {
                    errors.add(s.error());
                }
            }
        }
        String unit = members.stream().map(Sample::unit).filter(u -> !u.isEmpty()).findFirst().orElse("");
        Optional<Stats> stats = values.length == 0 ? Optional.empty() : Optional.of(Stats.of(values));
        return new Group(key, unit, stats, failures, List.copyOf(errors));
    }

    public List<Group> experiment(String experiment) {
        return groups.stream().filter(g -> g.key().experiment().equals(experiment)).toList();
    }

    /** Experiment ids with at least one group, in report order. */
    public List<String> experiments() {
        return groups.stream().map(g -> g.key().experiment()).distinct().toList();
    }

    public Optional<Group> find(GroupKey key) {
        return groups.stream().filter(g -> g.key().equals(key)).findFirst();
    }
}
