package dev.isola.bench.report;

import dev.isola.bench.result.ExperimentSpec;
import dev.isola.bench.result.Experiments;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Writes {@code report.html}: one page with no external resources except the figures it links relatively
 * ({@code figures/*.svg}), so the run directory can be copied or zipped and still opens in any browser.
 * It leads with the answer: the main table (ours, the paper's, the ratio and why they differ), then one section
 * per experiment (figure, how measured, detail table), failures, notes, the paper's values, and the run metadata
 * folded at the end. Every piece of run data is escaped.
 */
final class HtmlReport {
    private static final String STYLE = """
            body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}
            h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ccc}
            table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
            th,td{border:1px solid #ddd;padding:.2em .5em;text-align:left;vertical-align:top}
            th{background:#f4f4f4}td.n{text-align:right;white-space:nowrap}td.paper{color:#555}
            td.err{font-family:monospace;font-size:.9em}figure{margin:1em 0}img{max-width:100%;height:auto}
            .warn{background:#fff3cd;border:1px solid #e0c060;padding:.5em 1em}.not-run{color:#888}
            .how{color:#444}table.main td.n{min-width:6em}div.vs{color:#666;font-size:.85em}
            th.paper,td.paper{color:#777;background:#fafafa}p.legend{margin:.3em 0 0;font-size:.85em}
            ol.legend{margin:.2em 0;font-size:.85em;color:#444}""";

    private HtmlReport() {
    }

    static void write(Path file, RunMetadata meta, Summary summary, List<Figure> figures, PaperValues paper) {
        ResultTables tables = new ResultTables(paper);
        StringBuilder out = new StringBuilder(64 * 1024);
        out.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<title>Isola bench report</title><style>").append(STYLE).append("</style></head><body>\n")
                .append("<h1>Isola bench report</h1>\n")
                .append("<p>Our numbers beside those of Moebius, Pfandzelter and Bermbach, <i>Are Unikernels Ready ")
                .append("for Serverless on the Edge?</i> (arXiv:2403.00515). The hardware differs: compare ")
                .append("ratios between backends, not absolute values.</p>\n");
        if (meta.interrupted()) {
            out.append("<p class=\"warn\"><b>This run was interrupted.</b> Experiments after the interruption ")
                    .append("are missing or incomplete.</p>\n");
        }
        out.append(section("results", "Results: ours beside the paper's", MainTable.html(summary, meta, paper)));
        for (ExperimentSpec spec : Experiments.ALL) {
            out.append(experiment(spec, summary, figures, tables, paper));
        }
        List<String> unknown = summary.experiments().stream().filter(e -> Experiments.find(e).isEmpty()).toList();
        for (String experiment : unknown) {
            out.append(section("experiment-" + experiment, "Other experiment: " + experiment,
                    tables.detail(summary.experiment(experiment))));
        }
        out.append(section("failures", "Failures", tables.failures(summary)));
        out.append(section("notes", "Notes", notes(meta, summary)));
        out.append(section("paper-values", "The paper's values", "<p>From "
                + "<code>src/main/resources/dev/isola/bench/paper-values.csv</code>; how they were obtained is "
                + "in docs/bench-report.md.</p>\n<details><summary>All " + paper.all().size()
                + " values</summary>\n" + tables.paperValues() + "</details>\n"));
        out.append(section("metadata", "Run metadata", metadata(meta)));
        out.append("</body></html>\n");
        try {
            Files.writeString(file, out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new BenchReportException("Failed to write report " + file + ": " + e.getMessage(), e);
        }
    }

    private static String section(String id, String title, String body) {
        return "<section id=\"" + Html.text(id) + "\"><h2>" + Html.text(title) + "</h2>\n" + body + "</section>\n";
    }

    private static String metadata(RunMetadata meta) {
        if (!meta.present()) {
            return "<p class=\"warn\">metadata.json is missing: host, versions and configuration are unknown.</p>\n";
        }
        StringBuilder out = new StringBuilder("<p>Run ").append(meta.interrupted() ? "<b>interrupted</b>" : "complete")
                .append(meta.quick() ? ", quick mode (fewer repetitions)" : "").append(".</p>\n")
                .append("<details><summary>Host, versions and configuration (").append(meta.fields().size())
                .append(" fields)</summary>\n<table><tbody>\n");
        for (Map.Entry<String, String> field : meta.fields()) {
            out.append("<tr><th>").append(Html.text(field.getKey())).append("</th>").append(Html.td(field.getValue()))
                    .append("</tr>\n");
        }
        return out.append("</tbody></table>\n</details>\n").toString();
    }

    private static String experiment(ExperimentSpec spec, Summary summary, List<Figure> figures,
                                     ResultTables tables, PaperValues paper) {
        String numbers = spec.figureNumbers().stream().map(String::valueOf).collect(Collectors.joining(", "));
        // Isola's own experiments have no figure in the paper: their heading is the title alone.
        String title = (numbers.isEmpty() ? "" : "Fig. " + numbers + ": ") + spec.title();
        StringBuilder body = new StringBuilder();
        body.append("<p class=\"how\"><b>How measured:</b> ").append(Html.text(spec.howMeasured())).append("<br>")
                .append(Html.text(spec.paperMethod())).append("</p>\n");
        List<Group> groups = summary.experiment(spec.id());
        if (groups.isEmpty()) {
            body.append("<p class=\"not-run\">Not run.</p>\n");
            return section("experiment-" + spec.id(), title, body.toString());
        }
        List<Figure> mine = figures.stream().filter(f -> f.spec().id().equals(spec.id())).toList();
        if (mine.isEmpty()) {
            body.append("<p class=\"warn\">No successful repetition: no figure. See the failures.</p>\n");
        }
        for (Figure f : mine) {
            body.append("<figure><img src=\"figures/").append(Html.text(f.svg())).append("\" alt=\"")
                    .append(Html.text(f.title())).append("\"><figcaption>")
                    .append(Html.text(f.figure().map(n -> "Mirrors the paper's figure " + n + ". ").orElse("")))
                    .append("<a href=\"figures/").append(Html.text(f.png())).append("\">PNG</a></figcaption>")
                    .append("</figure>\n");
        }
        if (spec.id().equals("idle-memory")) {
            body.append(MemoryPerInstance.table(groups, paper));
        }
        body.append(tables.detail(groups));
        return section("experiment-" + spec.id(), title, body.toString());
    }

    private static String notes(RunMetadata meta, Summary summary) {
        List<String> notes = new ArrayList<>();
        notes.add("The paper ran on an 11th generation Intel NUC (i5-1135G7, 64 GiB, Ubuntu 23.04, Linux 6.2) with "
                + "its own Rust harness; absolute values are not expected to match, the ordering of backends is "
                + "what to compare.");
        notes.add("Paper values are means of the authors' published raw data (the data its figures plot); where "
                + "the text states a number, the note of the value quotes it.");
        boolean cpuTimeStart = summary.experiment("start-cost").stream()
                .anyMatch(g -> !g.key().metric().contains("instructions"));
        if (cpuTimeStart) {
            notes.add("Start cost is (partly) measured as CPU time because this host gave no hardware "
                    + "instruction counters; the paper counted instructions, so those rows have no paper value.");
        }
        boolean cpuTimeIdle = summary.experiment("idle-cpu").stream()
                .anyMatch(g -> !g.key().metric().contains("instructions"));
        if (cpuTimeIdle) {
            notes.add("Idle CPU is (partly) measured as CPU time, not instructions; the paper's values are "
                    + "instructions.");
        }
        meta.accelerator().ifPresent(a -> notes.add("microvm accelerator: " + a
                + (a.toLowerCase(Locale.ROOT).contains("tcg")
                ? " (emulation without KVM: microVM times are far slower than with KVM and not comparable)" : "")));
        if (meta.quick()) {
            notes.add("Quick mode: few repetitions, so confidence intervals are wide.");
        }
        if (meta.interrupted()) {
            notes.add("The run was interrupted; missing experiments say \"not run\".");
        }
        List<String> notRun = Experiments.ALL.stream().map(ExperimentSpec::id)
                .filter(id -> summary.experiment(id).isEmpty()).toList();
        if (!notRun.isEmpty()) {
            notes.add("Not run: " + String.join(", ", notRun) + ".");
        }
        notes.add("Intervals of the mean over the successful repetitions, each labelled: min-max when n < 5; "
                + "otherwise the 95% confidence interval mean ± t(0.975, n-1)·s/√n, or a percentile bootstrap of "
                + "the mean where that would reach below zero (no duration or size is negative). Median and p95 "
                + "interpolate between closest ranks. Failed repetitions are counted, never averaged in.");
        return notes.stream().map(n -> "<li>" + Html.text(n) + "</li>")
                .collect(Collectors.joining("\n", "<ul>\n", "\n</ul>\n"));
    }
}
