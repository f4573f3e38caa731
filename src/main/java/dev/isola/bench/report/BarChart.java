package dev.isola.bench.report;

import dev.isola.bench.result.GroupKey;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.data.statistics.DefaultStatisticalCategoryDataset;

import java.awt.Color;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Bars of the mean per backend, grouped by runtime, with whiskers for the interval of the mean ({@link Stats}: a
 * range, a t interval or a bootstrap one; none when n = 1): the paper's figures 3, 5, 6, 8, 9, 10, 12 and 13.
 */
final class BarChart {
    private BarChart() {
    }

    static JFreeChart create(Figure figure, Optional<String> accelerator) {
        DefaultStatisticalCategoryDataset data = new DefaultStatisticalCategoryDataset();
        IntervalWhiskers renderer = new IntervalWhiskers();
        List<String> backends = new ArrayList<>();
        for (Group g : figure.groups()) {
            Stats s = g.stats().orElseThrow();
            GroupKey k = g.key();
            String category = (k.runtime().isEmpty() ? "-" : k.runtime()) + (k.x().isEmpty() ? "" : " x=" + k.x());
            data.add((Number) s.mean(), null, k.backend(), category);
            if (s.low().isPresent()) {
                renderer.add(k.backend(), category, s.low().getAsDouble(), s.high().getAsDouble());
            }
            if (!backends.contains(k.backend())) {
                backends.add(k.backend());
            }
        }
        renderer.setBarPainter(new StandardBarPainter());
        renderer.setShadowVisible(false);
        renderer.setErrorIndicatorPaint(Color.BLACK);
        renderer.setItemMargin(0.05);
        for (int i = 0; i < backends.size(); i++) {
            renderer.setSeriesPaint(data.getRowIndex(backends.get(i)), ChartStyle.color(backends.get(i)));
        }
        CategoryAxis runtimes = new CategoryAxis("Runtime");
        NumberAxis values = new NumberAxis(figure.yLabel());
        values.setAutoRangeIncludesZero(true);
        CategoryPlot plot = new CategoryPlot(data, runtimes, values, renderer);
        // The axis scales to the bars; the whiskers may reach higher.
        if (renderer.highest() > values.getUpperBound()) {
            values.setUpperBound(renderer.highest() * 1.05);
        }
        plot.setRangeGridlinePaint(ChartStyle.gridColor());
        JFreeChart chart = new JFreeChart(plot);
        ChartStyle.apply(chart, figure, accelerator);
        return chart;
    }
}
