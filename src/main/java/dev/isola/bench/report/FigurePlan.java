package dev.isola.bench.report;

import dev.isola.bench.result.ExperimentSpec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Decides which figures an experiment gets. Groups are split by metric, and by variant unless the spec draws
 * variants as series, so that no figure puts two quantities (instructions and CPU time, say) on one axis.
 * Groups whose repetitions all failed are not drawn: the failures table shows them.
 */
final class FigurePlan {
    private FigurePlan() {
    }

    static List<Figure> plan(ExperimentSpec spec, List<Group> experimentGroups) {
        List<Group> drawable = experimentGroups.stream().filter(g -> g.stats().isPresent()).toList();
        Map<List<String>, List<Group>> parts = new LinkedHashMap<>();
        for (Group g : drawable) {
            String variant = spec.seriesByVariant() ? "" : g.key().variant();
            parts.computeIfAbsent(List.of(g.key().metric(), variant), k -> new ArrayList<>()).add(g);
        }
        List<Figure> figures = new ArrayList<>();
        parts.forEach((part, groups) -> {
            String metric = part.get(0);
            String variant = part.get(1);
            Optional<Integer> number = spec.figure(variant);
            // Name the metric only when this variant has several, e.g. burst's mean_ms and p95_ms.
            long metrics = parts.keySet().stream().filter(p -> p.get(1).equals(variant)).count();
            String name = number.map(n -> String.format(Locale.ROOT, "fig%02d-", n)).orElse("fig-") + spec.id()
                    + (variant.isEmpty() ? "" : "-" + slug(variant)) + (metrics > 1 ? "-" + slug(metric) : "");
            String unit = groups.getFirst().unit();
            String title = spec.title() + (variant.isEmpty() ? "" : ": " + variant)
                    + (metrics > 1 ? " (" + metric + ")" : "");
            figures.add(new Figure(name, spec, variant, metric, unit, number, title,
                    yLabel(spec, variant, metric, unit), groups));
        });
        return figures;
    }

    /**
     * The y axis label. Instructions and CPU time are different quantities, so the label follows the metric and
     * the variant, never the experiment alone.
     */
    private static String yLabel(ExperimentSpec spec, String variant, String metric, String unit) {
        String quantity;
        if (metric.contains("instructions")) {
            quantity = "Instructions";
        } else if (variant.equals("cpu-time") || metric.startsWith("cpu")) {
            quantity = "CPU time";
        } else {
            quantity = spec.quantity(variant);
        }
        return unit.isEmpty() ? quantity : quantity + " (" + unit + ")";
    }

    /** Keeps file names portable whatever the runner calls a variant or metric. */
    private static String slug(String s) {
        return s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
    }
}
