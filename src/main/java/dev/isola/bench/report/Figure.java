package dev.isola.bench.report;

import dev.isola.bench.result.ExperimentSpec;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One figure to draw: the groups of one experiment that share an axis (one metric, and one variant unless the
 * variants are series of the same figure).
 *
 * @param name    file name without extension, e.g. {@code fig05-start-cost-instructions}
 * @param figure  the paper's figure this one mirrors; absent for a variant the paper has no figure of
 * @param groups  the groups drawn, all with statistics, in report order
 */
public record Figure(String name, ExperimentSpec spec, String variant, String metric, String unit,
                     Optional<Integer> figure, String title, String yLabel, List<Group> groups) {
    public Figure {
        Objects.requireNonNull(name, "name");
        groups = List.copyOf(groups);
        if (groups.isEmpty() || groups.stream().anyMatch(g -> g.stats().isEmpty())) {
            throw new IllegalArgumentException("a figure needs groups with statistics: " + name);
        }
    }

    public String svg() {
        return name + ".svg";
    }

    public String png() {
        return name + ".png";
    }
}
