package dev.isola.bench.report;

import dev.isola.bench.result.GroupKey;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

import java.text.DecimalFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Mean over x, one line per backend × runtime (× variant where variants are series), with CI whiskers at each
 * point: the paper's figures 4, 7 and 11. Groups whose x is not a number cannot be placed and are left out;
 * the tables still list them.
 */
final class LineChart {
    private LineChart() {
    }

    static JFreeChart create(Figure figure, Optional<String> accelerator) {
        Map<String, YIntervalSeries> series = new LinkedHashMap<>();
        Map<String, GroupKey> seriesKeys = new LinkedHashMap<>();
        for (Group g : figure.groups()) {
            GroupKey k = g.key();
            if (k.xValue().isEmpty() || (figure.spec().logX() && k.xValue().getAsDouble() <= 0)) {
                continue;
            }
            String name = seriesName(k, figure.spec().seriesByVariant());
            Stats s = g.stats().orElseThrow();
            series.computeIfAbsent(name, YIntervalSeries::new).add(k.xValue().getAsDouble(), s.mean(),
                    s.low().orElse(s.mean()), s.high().orElse(s.mean()));
            seriesKeys.putIfAbsent(name, k);
        }
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        series.values().forEach(data::addSeries);

        XYErrorRenderer renderer = new XYErrorRenderer();
        renderer.setDrawXError(false);
        renderer.setDefaultLinesVisible(true);
        renderer.setDefaultShapesVisible(true);
        renderer.setErrorPaint(null);
        int i = 0;
        for (GroupKey k : seriesKeys.values()) {
            renderer.setSeriesPaint(i, ChartStyle.color(k.backend()));
            renderer.setSeriesStroke(i, ChartStyle.stroke(k.runtime(), k.variant()));
            i++;
        }
        XYPlot plot = new XYPlot(data, xAxis(figure), new NumberAxis(figure.yLabel()), renderer);
        plot.setDomainGridlinePaint(ChartStyle.gridColor());
        plot.setRangeGridlinePaint(ChartStyle.gridColor());
        JFreeChart chart = new JFreeChart(plot);
        ChartStyle.apply(chart, figure, accelerator);
        return chart;
    }

    static String seriesName(GroupKey k, boolean withVariant) {
        String name = k.backend() + (k.runtime().isEmpty() ? "" : "/" + k.runtime());
        return withVariant && !k.variant().isEmpty() ? name + " " + k.variant() : name;
    }

    /** Clients double from 1 to 4096, so the paper's figure 11 spaces them evenly: log base 2, ticks at powers. */
    private static ValueAxis xAxis(Figure figure) {
        if (!figure.spec().logX()) {
            NumberAxis axis = new NumberAxis(figure.spec().xLabel());
            axis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
            return axis;
        }
        LogAxis axis = new LogAxis(figure.spec().xLabel());
        axis.setBase(2);
        axis.setTickUnit(new NumberTickUnit(1));
        axis.setNumberFormatOverride(new DecimalFormat("0"));
        axis.setSmallestValue(1);
        return axis;
    }
}
