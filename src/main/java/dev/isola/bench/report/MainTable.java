package dev.isola.bench.report;

import dev.isola.bench.result.ExperimentSpec;
import dev.isola.bench.result.ExperimentSpec.Headline;
import dev.isola.bench.result.Experiments;
import dev.isola.bench.result.GroupKey;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The report's first table, made to be read above the fold: one row per measure of a figure (experiment, variant,
 * metric, runtime), one column per backend of the run, each cell ours with the paper's value and the ratio under it,
 * and a numbered reason why they differ ({@link KnownCauses}), spelt out just above the table. Then one column per
 * backend the paper ran that the run has not (the unikernels, and any left out), with the paper's values alone. Line
 * figures show their headline point (the largest x, or the peak); the detail tables under each figure hold every x
 * and every statistic.
 */
final class MainTable {
    private final PaperValues paper;
    private final RunMetadata meta;
    private final List<String> causes = new ArrayList<>();

    private MainTable(PaperValues paper, RunMetadata meta) {
        this.paper = paper;
        this.meta = meta;
    }

    static String html(Summary summary, RunMetadata meta, PaperValues paper) {
        return new MainTable(paper, meta).render(summary);
    }

    /**
     * A headline cell: the group shown, the paper's value it is compared with, and for a series whose larger sizes
     * failed (a slow backend's bursts past the bench's timeout) the smallest size that failed after the one shown.
     */
    private record Cell(Group group, Optional<PaperValue> paper, Optional<String> failedFrom) {
        Cell(Group group, Optional<PaperValue> paper) {
            this(group, paper, Optional.empty());
        }
    }

    private String render(Summary summary) {
        Map<GroupKey, Map<String, Cell>> rows = new LinkedHashMap<>();
        List<String> backends = new ArrayList<>();
        for (Cell cell : headlines(summary)) {
            GroupKey k = cell.group().key();
            String rowX = headline(k.experiment()) == Headline.ONLY ? k.x() : ""; // a headline x differs by backend
            rows.computeIfAbsent(new GroupKey(k.experiment(), "", k.runtime(), k.variant(), rowX, k.metric()),
                    r -> new LinkedHashMap<>()).put(k.backend(), cell);
            if (!backends.contains(k.backend())) {
                backends.add(k.backend());
            }
        }
        if (rows.isEmpty()) {
            return "<p class=\"warn\">No results yet.</p>\n";
        }
        StringBuilder table = new StringBuilder();
        table.append("<table class=\"main\"><thead><tr><th>fig.</th><th>runtime</th><th>measure</th>");
        backends.forEach(b -> table.append("<th class=\"n\">").append(Html.text(b)).append("</th>"));
        // The paper's backends this run has no column of: the unikernels always, and any the run left out.
        List<String> paperOnly = paper.all().stream().map(v -> v.key().backend()).distinct()
                .filter(b -> !backends.contains(b)).toList();
        paperOnly.forEach(b -> table.append("<th class=\"n paper\">").append(Html.text(b)).append(" (paper)</th>"));
        table.append("</tr></thead><tbody>\n");
        rows.forEach((row, cells) -> {
            table.append("<tr>").append(Html.td(figure(row))).append(Html.td(row.runtime()))
                    .append("<td><a href=\"#experiment-").append(Html.text(row.experiment())).append("\">")
                    .append(Html.text(measure(row))).append("</a></td>");
            for (String backend : backends) {
                Cell cell = cells.get(backend);
                table.append(cell == null ? "<td class=\"n\">-</td>" : ours(cell));
            }
            Cell any = cells.values().iterator().next();
            for (String backend : paperOnly) {
                table.append(theirs(paperValue(any, backend)));
            }
            table.append("</tr>\n");
        });
        table.append("</tbody></table>\n");
        // The reasons are numbered while the cells are made, and listed before the table: above the fold.
        StringBuilder out = new StringBuilder();
        if (meta.quick()) {
            out.append("<p class=\"warn\">").append(Html.text(KnownCauses.QUICK)).append(".</p>\n");
        }
        out.append("<p class=\"legend\">Each cell: ours (mean) and, under it, the paper's value · ours / paper, "
                + "with the main reason why they differ:</p>\n<ol class=\"legend\">\n");
        causes.forEach(c -> out.append("<li>").append(Html.text(c)).append("</li>\n"));
        return out.append("</ol>\n").append(table).toString();
    }

    private static String figure(GroupKey row) {
        return Experiments.find(row.experiment()).flatMap(spec -> spec.figure(row.variant()))
                .map(String::valueOf).orElse("-");
    }

    private static Headline headline(String experiment) {
        return Experiments.find(experiment).map(ExperimentSpec::headline).orElse(Headline.ONLY);
    }

    private static String measure(GroupKey row) {
        String what = Experiments.find(row.experiment()).map(ExperimentSpec::title).orElse(row.experiment())
                + (row.variant().isEmpty() ? "" : ", " + row.variant());
        String point = switch (headline(row.experiment())) {
            case ONLY -> row.x().isEmpty() ? "" : ", x = " + row.x();
            case LARGEST_X -> ", largest x";
            case PEAK -> ", peak";
        };
        return what + ": " + row.metric() + point;
    }

    private String ours(Cell cell) {
        Group g = cell.group();
        StringBuilder td = new StringBuilder("<td class=\"n\" title=\"").append(Html.text(details(g))).append("\">");
        String x = g.key().x().isEmpty() || headline(g.key().experiment()) == Headline.ONLY ? "" : " @" + g.key().x();
        td.append(g.stats().map(s -> Html.text(Html.number(s.mean()) + (g.unit().isEmpty() ? "" : " " + g.unit())
                + x)).orElse("failed"));
        cell.failedFrom().ifPresent(from -> td.append("<div class=\"vs\">failed from @").append(Html.text(from))
                .append("</div>"));
        String cause = "<sup>" + causeNumber(KnownCauses.of(g.key(), cell.paper(), meta)) + "</sup>";
        if (cell.paper().isPresent()) {
            PaperValue p = cell.paper().get();
            String ratio = g.stats().map(s -> Html.number(s.mean() / p.value()) + "×").orElse("-");
            String paperX = p.key().x().isEmpty() || p.key().x().equals(g.key().x()) ? "" : " @" + p.key().x();
            td.append("<div class=\"vs\" title=\"").append(Html.text(p.note())).append("\">")
                    .append(Html.text(Html.number(p.value()) + paperX + " · " + ratio)).append(cause).append("</div>");
        } else {
            td.append("<div class=\"vs\">-").append(cause).append("</div>");
        }
        return td.append("</td>").toString();
    }

    private static String theirs(Optional<PaperValue> value) {
        return value.map(p -> "<td class=\"n paper\" title=\"" + Html.text(p.note()) + "\">"
                + Html.text(Html.number(p.value()) + " " + p.unit()) + "</td>").orElse("<td class=\"n paper\">-</td>");
    }

    /** The paper's value for {@code backend} at the point {@code shown} is compared at. */
    private Optional<PaperValue> paperValue(Cell shown, String backend) {
        GroupKey k = shown.group().key();
        GroupKey theirs = new GroupKey(k.experiment(), backend, k.runtime(), k.variant(), k.x(), k.metric());
        return headline(k.experiment()) == Headline.PEAK ? paper.peak(theirs.withoutX()) : paper.find(theirs);
    }

    private static String details(Group g) {
        String failed = g.failed() == 0 ? "" : ", " + g.failed() + " failed";
        return g.stats().map(s -> "n=" + s.n() + ", median " + Html.number(s.median()) + ", p95 "
                + Html.number(s.p95()) + (s.low().isPresent() ? ", " + s.interval().label() + " ["
                + Html.number(s.low()) + ", " + Html.number(s.high()) + "]" : "") + failed).orElse("all failed");
    }

    private int causeNumber(String cause) {
        if (!causes.contains(cause)) {
            causes.add(cause);
        }
        return causes.indexOf(cause) + 1;
    }

    /**
     * A series at its largest x that has a value; if larger ones failed, the first of those is said too, so that a
     * series that answered up to 40 and failed from 50 reads so, not as "failed".
     */
    private Cell largestAnswered(List<Group> groups) {
        int shown = groups.size() - 1;
        while (shown > 0 && groups.get(shown).stats().isEmpty()) {
            shown--;
        }
        Group group = groups.get(shown);
        Optional<String> failedFrom = shown == groups.size() - 1 || group.stats().isEmpty() ? Optional.empty()
                : Optional.of(groups.get(shown + 1).key().x());
        return new Cell(group, paper.find(group.key()), failedFrom);
    }

    /** One cell per series: bar groups as they are, line series at their largest x or their peak. */
    private List<Cell> headlines(Summary summary) {
        Map<GroupKey, List<Group>> series = new LinkedHashMap<>();
        for (Group g : summary.groups()) {
            series.computeIfAbsent(g.key().withoutX(), k -> new ArrayList<>()).add(g);
        }
        List<Cell> cells = new ArrayList<>();
        series.forEach((seriesKey, groups) -> {
            switch (headline(seriesKey.experiment())) {
                case ONLY -> groups.forEach(g -> cells.add(new Cell(g, paper.find(g.key()))));
                case LARGEST_X -> cells.add(largestAnswered(groups));
                case PEAK -> {
                    Group peak = groups.stream().filter(g -> g.stats().isPresent())
                            .max(Comparator.comparingDouble(g -> g.stats().get().mean())).orElse(groups.getLast());
                    cells.add(new Cell(peak, paper.peak(seriesKey)));
                }
            }
        });
        return cells;
    }
}
