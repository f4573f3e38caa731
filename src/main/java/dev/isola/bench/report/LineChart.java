package dev.isola.bench.report;

import dev.isola.bench.result.GroupKey;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.chart.util.ShapeUtils;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Shape;
import java.awt.Stroke;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Mean over x, one line per backend × runtime (× variant where variants are series), with interval whiskers at
 * each point, and the paper's lines thin and dashed beside them: the paper's figures 4, 7 and 11. Groups whose x
 * is not a number cannot be placed and are left out; the tables still list them.
 */
final class LineChart {
    private static final Stroke PAPER_STROKE = new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
            new float[] {4f, 3f}, 0f);
    private static final Shape PAPER_MARK = ShapeUtils.createDiamond(4f);
    private LineChart() {
    }

    static JFreeChart create(Figure figure, PaperValues paper, Optional<String> accelerator) {
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
        List<String> paperSeries = addPaperSeries(figure, paper, series, seriesKeys);
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        series.values().forEach(data::addSeries);

        XYErrorRenderer renderer = new XYErrorRenderer();
        renderer.setDrawXError(false);
        renderer.setDefaultLinesVisible(true);
        renderer.setDefaultShapesVisible(true);
        renderer.setErrorPaint(null);
        int i = 0;
        for (Map.Entry<String, GroupKey> e : seriesKeys.entrySet()) {
            GroupKey k = e.getValue();
            renderer.setSeriesPaint(i, ChartStyle.color(k.backend()));
            boolean ofThePaper = paperSeries.contains(e.getKey());
            renderer.setSeriesStroke(i, ofThePaper ? PAPER_STROKE : ChartStyle.stroke(k.runtime(), k.variant()));
            if (ofThePaper) {
                renderer.setSeriesShape(i, PAPER_MARK);
                renderer.setSeriesShapesFilled(i, false);
            }
            i++;
        }
        XYPlot plot = new XYPlot(data, xAxis(figure), new NumberAxis(figure.yLabel()), renderer);
        plot.setDomainGridlinePaint(ChartStyle.gridColor());
        plot.setRangeGridlinePaint(ChartStyle.gridColor());
        JFreeChart chart = new JFreeChart(plot);
        ChartStyle.apply(chart, figure, accelerator);
        return chart;
    }

    /**
     * The paper's lines for this figure, one per backend × runtime × variant as its values are keyed (so a value the
     * paper gives for any runtime is one line, not one per runtime of ours), the unikernels' included: thin, dashed,
     * with hollow diamonds, named "paper …". Returns their names.
     */
    private static List<String> addPaperSeries(Figure figure, PaperValues paper, Map<String, YIntervalSeries> series,
                                               Map<String, GroupKey> seriesKeys) {
        GroupKey any = figure.groups().getFirst().key();
        List<String> names = new ArrayList<>();
        for (PaperValue v : paper.all()) {
            GroupKey k = v.key();
            boolean inFigure = k.experiment().equals(any.experiment()) && k.metric().equals(any.metric())
                    && (figure.spec().seriesByVariant() || k.variant().isEmpty() || k.variant().equals(any.variant()));
            if (!inFigure || k.xValue().isEmpty() || (figure.spec().logX() && k.xValue().getAsDouble() <= 0)) {
                continue;
            }
            String name = "paper " + seriesName(k, figure.spec().seriesByVariant());
            series.computeIfAbsent(name, YIntervalSeries::new).add(k.xValue().getAsDouble(), v.value(), v.value(),
                    v.value());
            seriesKeys.putIfAbsent(name, k);
            if (!names.contains(name)) {
                names.add(name);
            }
        }
        return names;
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
