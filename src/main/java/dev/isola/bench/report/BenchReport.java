package dev.isola.bench.report;

import dev.isola.bench.result.Sample;

import java.nio.file.Path;
import java.util.List;

/**
 * Turns one {@code isola bench} run directory into its summary, figures and HTML report.
 *
 * <p>Input: {@code raw/*.csv} ({@link dev.isola.bench.result.SampleCsv}) and {@code metadata.json}. Output, in the
 * same directory: {@code summary.json}, {@code figures/*.png|svg} and {@code report.html}. The report is a pure
 * function of those inputs and the paper's values, so it can be re-rendered at any time (for instance after an
 * interrupted run, or after this code improves) without re-running a benchmark; re-rendering replaces only these
 * derived files, never {@code raw/}.
 */
public final class BenchReport {

    private BenchReport() {
    }

    /**
     * Reads {@code raw/*.csv} and {@code metadata.json} under {@code runDir} and writes the report files there.
     *
     * @throws BenchReportException if a raw file is malformed (the message names file and line) or a file
     *                              cannot be written
     */
    public static void render(Path runDir) {
        // Charts draw through AWT; on a server without a display AWT must be headless before its first use.
        System.setProperty("java.awt.headless", "true");
        List<Sample> samples = RawResultsReader.read(runDir.resolve("raw"));
        RunMetadata meta = RunMetadata.read(runDir.resolve("metadata.json"));
        Summary summary = Summary.of(samples);
        SummaryJson.write(summary, runDir.resolve("summary.json"));
        PaperValues paper = PaperValues.load();
        List<Figure> figures = FigureWriter.write(summary, paper, meta.accelerator(), runDir.resolve("figures"));
        HtmlReport.write(runDir.resolve("report.html"), meta, summary, figures, paper);
    }
}
