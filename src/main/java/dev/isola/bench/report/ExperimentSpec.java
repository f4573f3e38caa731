package dev.isola.bench.report;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How the report draws and explains one experiment, mirroring one or two of the paper's figures.
 *
 * @param figures      the paper's figure number per variant; key "" for an experiment drawn in one figure
 * @param quantities   what the y axis shows per variant (key "" as default), without the unit
 * @param seriesByVariant  draw variants as separate series in one figure (network: direct vs gateway) instead of
 *                     one figure per variant (start cost: instructions vs CPU time, never on one axis)
 * @param headline     which x of a line experiment the main table shows
 * @param howMeasured  one line on our method; {@code paperMethod} one line on the paper's where it differs
 */
public record ExperimentSpec(String id, String title, Kind kind, Map<String, Integer> figures,
                             Map<String, String> quantities, String xLabel, boolean logX, boolean seriesByVariant,
                             Headline headline, String howMeasured, String paperMethod) {

    public enum Kind { BAR, LINE }

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

    /**
     * The y axis label. Instructions and CPU time are different quantities, so the label follows the metric and
     * the variant, never the experiment alone.
     */
    public String yLabel(String variant, String metric, String unit) {
        String quantity;
        if (metric.contains("instructions")) {
            quantity = "Instructions";
        } else if (variant.equals("cpu-time") || metric.startsWith("cpu")) {
            quantity = "CPU time";
        } else {
            quantity = quantities.getOrDefault(variant, quantities.get(""));
        }
        return unit.isEmpty() ? quantity : quantity + " (" + unit + ")";
    }
}
