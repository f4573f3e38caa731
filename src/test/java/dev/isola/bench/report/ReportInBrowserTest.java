package dev.isola.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isola.bench.result.Experiments;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The report as a reader sees it: a synthetic run's {@code report.html} opened in a real browser (Debian's headless
 * Chromium), which must load it without an error, load every figure, and show the main table above the fold, before
 * the first figure. The screenshots are kept in {@code target/browser/} for a person to look at; never committed.
 */
class ReportInBrowserTest {
    private static final int WIDTH = 1280;
    private static final int HEIGHT = 900;

    /** What the page holds, measured by the page itself. */
    private static final String LAYOUT = """
            (() => {
              const images = [...document.querySelectorAll('img')];
              const table = document.querySelector('#results table');
              const figure = document.querySelector('figure');
              return {
                images: images.length,
                broken: images.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.getAttribute('src')),
                tableTop: table ? table.getBoundingClientRect().top : -1,
                tableRows: table ? table.querySelectorAll('tbody tr').length : 0,
                figureTop: figure ? figure.getBoundingClientRect().top : -1,
                rowsAboveFold: table ? [...table.querySelectorAll('tbody tr')]
                    .filter(r => r.getBoundingClientRect().bottom <= window.innerHeight).length : 0,
                pageWidth: document.documentElement.scrollWidth,
                viewportWidth: window.innerWidth,
                tableBeforeFigure: !!(table && figure
                    && (table.compareDocumentPosition(figure) & Node.DOCUMENT_POSITION_FOLLOWING)),
                viewport: window.innerHeight
              };
            })()""";

    @Test
    void aSyntheticRunsReport_loadsCleanly_withEveryFigure_andTheMainTableFirst(@TempDir Path run) throws Exception {
        Assumptions.assumeTrue(HeadlessBrowser.installed(),
                "no " + HeadlessBrowser.BINARY + ": apt-get install chromium-headless-shell (./isola test does)");
        SyntheticRun.write(run, Experiments.ids());
        BenchReport.render(run);

        try (HeadlessBrowser browser = HeadlessBrowser.start(WIDTH, HEIGHT)) {
            browser.open(run.resolve("report.html").toUri());
            JsonNode layout = browser.evaluate(LAYOUT);
            Path shots = Files.createDirectories(Path.of("target", "browser"));
            browser.screenshot(shots.resolve("report-above-the-fold.png"), false);
            browser.screenshot(shots.resolve("report.png"), true);

            assertThat(browser.errors()).as("errors the browser reported").isEmpty();
            assertThat(layout.get("images").asInt()).as("figures on the page").isGreaterThanOrEqualTo(10);
            assertThat(layout.get("broken")).as("figures that did not load").isEmpty();
            assertThat(layout.get("tableRows").asInt()).as("rows of the main table").isPositive();
            assertThat(layout.get("tableBeforeFigure").asBoolean()).as("the main table comes first").isTrue();
            assertThat(layout.get("tableTop").asDouble()).as("the main table starts above the fold")
                    .isBetween(0.0, layout.get("viewport").asDouble());
            assertThat(layout.get("rowsAboveFold").asInt()).as("rows a reader sees without scrolling")
                    .isGreaterThanOrEqualTo(10);
            assertThat(layout.get("pageWidth").asInt()).as("no sideways scrolling to reach the paper's values")
                    .isLessThanOrEqualTo(layout.get("viewportWidth").asInt());
            assertThat(shots.resolve("report.png")).as("a screenshot").isNotEmptyFile();
        }
    }

    @Test
    void aMissingFigure_isCaught(@TempDir Path run) throws Exception {
        Assumptions.assumeTrue(HeadlessBrowser.installed(),
                "no " + HeadlessBrowser.BINARY + ": apt-get install chromium-headless-shell (./isola test does)");
        SyntheticRun.write(run, java.util.List.of("cold-start"));
        BenchReport.render(run);
        try (var figures = Files.list(run.resolve("figures"))) {
            figures.filter(f -> f.toString().endsWith(".svg")).forEach(f -> f.toFile().delete());
        }

        try (HeadlessBrowser browser = HeadlessBrowser.start(WIDTH, HEIGHT)) {
            browser.open(run.resolve("report.html").toUri());
            JsonNode layout = browser.evaluate(LAYOUT);

            assertThat(layout.get("broken")).as("the check this test relies on sees a broken image").isNotEmpty();
            assertThat(browser.errors()).as("and the browser reports the failed load").isNotEmpty();
        }
    }
}
