package dev.isola.bench.report;

import dev.isola.bench.result.ExperimentSpec;
import dev.isola.bench.result.ExperimentSpec.Chart;
import dev.isola.bench.result.Experiments;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.text.TextUtils;
import org.jfree.svg.SVGGraphics2D;

import javax.imageio.ImageIO;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Draws every planned figure twice: PNG (JFreeChart's encoder) for quick viewing and SVG (JFreeSVG, text kept
 * as text so series names stay searchable) for the HTML report and for print. Both come from the same chart
 * object, so they cannot disagree.
 */
final class FigureWriter {
    private FigureWriter() {
    }

    static List<Figure> write(Summary summary, PaperValues paper, Optional<String> accelerator, Path dir) {
        List<Figure> figures = new ArrayList<>();
        for (ExperimentSpec spec : Experiments.ALL) {
            figures.addAll(FigurePlan.plan(spec, summary.experiment(spec.id())));
        }
        if (figures.isEmpty()) {
            return figures;
        }
        // JFreeChart draws rotated text (the y axis label) as glyph outlines to dodge JDK bugs fixed long before
        // Java 25; outlines would make the SVG's axis label unsearchable and unselectable, so draw it as text.
        TextUtils.setUseDrawRotatedStringWorkaround(false);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new BenchReportException("Failed to create figure directory " + dir + ": " + e.getMessage(), e);
        }
        for (Figure figure : figures) {
            JFreeChart chart = figure.spec().chart() == Chart.BAR
                    ? BarChart.create(figure, paper, accelerator)
                    : LineChart.create(figure, paper, accelerator);
            png(chart, dir.resolve(figure.png()));
            svg(chart, dir.resolve(figure.svg()));
        }
        return figures;
    }

    private static void png(JFreeChart chart, Path file) {
        // No disk cache: ImageIO's cache registers a shutdown hook on first use, which fails ("Shutdown in
        // progress") when the report of an interrupted run is rendered from the bench's own shutdown hook.
        ImageIO.setUseCache(false);
        try {
            ChartUtils.saveChartAsPNG(file.toFile(), chart, ChartStyle.WIDTH, ChartStyle.HEIGHT);
        } catch (IOException e) {
            throw new BenchReportException("Failed to write figure " + file + ": " + e.getMessage(), e);
        }
    }

    private static void svg(JFreeChart chart, Path file) {
        SVGGraphics2D g2 = new SVGGraphics2D(ChartStyle.WIDTH, ChartStyle.HEIGHT);
        chart.draw(g2, new Rectangle2D.Double(0, 0, ChartStyle.WIDTH, ChartStyle.HEIGHT));
        try {
            Files.writeString(file, g2.getSVGDocument(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new BenchReportException("Failed to write figure " + file + ": " + e.getMessage(), e);
        } finally {
            g2.dispose();
        }
    }
}
