package dev.isola.bench.result;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What one experiment of the paper is, for the runner that measures it and the report that draws and explains it:
 * its id, its main metric, and how it mirrors one or two of the paper's figures.
 *
 * @param id              the experiment id, also the raw file name: {@code cold-start}, {@code burst}, ...
 * @param metric          the main metric and its {@code unit}: a failure of the whole experiment is recorded under it
 * @param figures         the paper's figure number per variant; key "" for an experiment drawn in one figure
 * @param quantities      what the y axis shows per variant (key "" as default), without the unit
 * @param seriesByVariant draw variants as separate series in one figure (network: direct vs gateway) instead of
 *                        one figure per variant (start cost: instructions vs CPU time, never on one axis)
 * @param headline        which x of a line experiment the report's main table shows
 * @param howMeasured     one line on our method; {@code paperMethod} one line on the paper's where it differs
 */
public record ExperimentSpec(String id, String title, String metric, String unit, Chart chart,
                             Map<String, Integer> figures, Map<String, String> quantities, String xLabel, boolean logX,
                             boolean seriesByVariant, Headline headline, String howMeasured, String paperMethod) {

    /** How the report draws it: bars per backend (one x) or lines over x. */
    public enum Chart { BAR, LINE }

    public enum Headline {
        /** A bar experiment: its only x. */
        ONLY,
        /** The largest x (burst 100, 100 idle instances). */
        LARGEST_X,
        /** The x with the largest mean, compared with the paper's largest value (maximum requests/s). */
        PEAK
    }

    public ExperimentSpec {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(metric, "metric");
        Objects.requireNonNull(unit, "unit");
        figures = Map.copyOf(figures);
        quantities = Map.copyOf(quantities);
        if (!quantities.containsKey("")) {
            throw new IllegalArgumentException("quantities need a default (key \"\"): " + id);
        }
    }

    public Optional<Integer> figure(String variant) {
        return Optional.ofNullable(figures.getOrDefault(variant, figures.get("")));
    }

    /** Figure numbers in ascending order, for the section heading. */
    public List<Integer> figureNumbers() {
        return figures.values().stream().sorted().toList();
    }

    /** What the y axis of {@code variant} shows, without the unit. */
    public String quantity(String variant) {
        return quantities.getOrDefault(variant, quantities.get(""));
    }
}
