package dev.isola.bench.report;

import dev.isola.bench.result.Experiments;
import dev.isola.bench.result.GroupKey;
import dev.isola.bench.result.Sample;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The tables of the HTML report after the main one ({@link MainTable}): the per-experiment detail tables (every x
 * and every statistic, the paper's value beside ours), the failures table and the paper's values.
 */
final class ResultTables {
    private static final String STATS_HEAD = "<th>n ok</th><th>mean</th><th>median</th><th>p95</th>"
            + "<th>interval of the mean</th><th>failed</th><th>paper</th><th>ours / paper</th>";

    private final PaperValues paper;

    ResultTables(PaperValues paper) {
        this.paper = paper;
    }

    /** Every group of one experiment, each x on its own row, with the paper's value at the same x. */
    String detail(List<Group> groups) {
        StringBuilder out = new StringBuilder("<table class=\"results\"><thead><tr><th>backend</th><th>runtime</th>"
                + "<th>variant</th><th>metric</th><th>x</th>" + STATS_HEAD + "</tr></thead><tbody>\n");
        for (Group g : groups) {
            GroupKey k = g.key();
            out.append("<tr>").append(Html.td(k.backend())).append(Html.td(k.runtime())).append(Html.td(k.variant()))
                    .append(Html.td(k.metric())).append(Html.td(k.x()))
                    .append(statsCells(g, paper.find(k))).append("</tr>\n");
        }
        return out.append("</tbody></table>\n").toString();
    }

    String failures(Summary summary) {
        List<Group> failed = summary.groups().stream().filter(g -> g.failed() > 0).toList();
        if (failed.isEmpty()) {
            return "<p>No repetition failed.</p>\n";
        }
        StringBuilder out = new StringBuilder("<table class=\"results\"><thead><tr><th>experiment</th>"
                + "<th>backend</th><th>runtime</th><th>variant</th><th>x</th><th>metric</th><th>ok</th>"
                + "<th>timeout</th><th>error</th><th>first errors</th></tr></thead><tbody>\n");
        for (Group g : failed) {
            GroupKey k = g.key();
            out.append("<tr>").append(Html.td(k.experiment())).append(Html.td(k.backend()))
                    .append(Html.td(k.runtime())).append(Html.td(k.variant())).append(Html.td(k.x()))
                    .append(Html.td(k.metric())).append(Html.num(Integer.toString(g.ok())))
                    .append(Html.num(Integer.toString(g.failed(Sample.Status.TIMEOUT))))
                    .append(Html.num(Integer.toString(g.failed(Sample.Status.ERROR))))
                    .append("<td class=\"err\">").append(Html.text(String.join(" | ", g.errors()))).append("</td>")
                    .append("</tr>\n");
        }
        return out.append("</tbody></table>\n").toString();
    }

    String paperValues() {
        StringBuilder out = new StringBuilder("<table class=\"results\"><thead><tr><th>figure</th>"
                + "<th>experiment</th><th>backend</th><th>runtime</th><th>variant</th><th>x</th><th>metric</th>"
                + "<th>value</th><th>unit</th><th>source</th></tr></thead><tbody>\n");
        for (PaperValue v : paper.all()) {
            GroupKey k = v.key();
            out.append("<tr>").append(Html.num(Integer.toString(v.figure()))).append(Html.td(k.experiment()))
                    .append(Html.td(k.backend())).append(Html.td(k.runtime())).append(Html.td(k.variant()))
                    .append(Html.td(k.x())).append(Html.td(k.metric())).append(Html.num(Html.number(v.value())))
                    .append(Html.td(v.unit())).append(Html.td(v.note())).append("</tr>\n");
        }
        return out.append("</tbody></table>\n").toString();
    }

    private String statsCells(Group g, Optional<PaperValue> paperValue) {
        StringBuilder out = new StringBuilder();
        out.append(Html.num(Integer.toString(g.ok())));
        if (g.stats().isPresent()) {
            Stats s = g.stats().get();
            String unit = g.unit().isEmpty() ? "" : " " + g.unit();
            out.append(Html.num(Html.number(s.mean()) + unit)).append(Html.num(Html.number(s.median())))
                    .append(Html.num(Html.number(s.p95())))
                    .append(Html.num(s.low().isPresent() ? "[" + Html.number(s.low()) + ", "
                            + Html.number(s.high()) + "] " + s.interval().label() : "n=1"));
        } else {
            out.append("<td class=\"n\" colspan=\"4\">all failed</td>");
        }
        out.append(Html.num(failedText(g)));
        if (paperValue.isPresent()) {
            PaperValue p = paperValue.get();
            String x = p.key().x().isEmpty() || p.key().x().equals(g.key().x()) ? "" : " @x=" + p.key().x();
            out.append("<td class=\"n paper\" title=\"").append(Html.text(p.note())).append("\">")
                    .append(Html.text(Html.number(p.value()) + " " + p.unit() + x + " (fig. " + p.figure() + ")"))
                    .append("</td>");
            out.append(Html.num(g.stats().map(s -> Html.number(s.mean() / p.value()) + "x").orElse("-")));
        } else {
            out.append("<td class=\"n\">-</td><td class=\"n\">-</td>");
        }
        return out.toString();
    }

    private static String failedText(Group g) {
        if (g.failed() == 0) {
            return "0";
        }
        List<String> parts = new ArrayList<>();
        g.failures().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> parts.add(e.getKey().wire() + " " + e.getValue()));
        return g.failed() + " (" + String.join(", ", parts) + ")";
    }
}
