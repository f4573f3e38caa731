package dev.isola.bench.report;

import dev.isola.bench.result.GroupKey;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.LegendItem;
import org.jfree.chart.LegendItemCollection;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.DatasetRenderingOrder;
import org.jfree.chart.renderer.category.LineAndShapeRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.util.ShapeUtils;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.statistics.DefaultStatisticalCategoryDataset;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Shape;
import java.awt.geom.Line2D;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Bars of the mean per backend, grouped by runtime, with whiskers for the interval of the mean ({@link Stats}: a
 * range, a t interval or a bootstrap one; none when n = 1), and a hollow diamond at the paper's value of each
 * backend, also of the paper's backends that do not run here (Nanos, OSv): the paper's figures 3, 5, 6, 8, 9, 10,
 * 12 and 13.
 */
final class BarChart {
    private static final double ITEM_MARGIN = 0.05;
    private static final Shape PAPER_MARK = ShapeUtils.createDiamond(6f);
    private BarChart() {
    }

    static JFreeChart create(Figure figure, PaperValues paper, Optional<String> accelerator) {
        DefaultStatisticalCategoryDataset data = new DefaultStatisticalCategoryDataset();
        IntervalWhiskers renderer = new IntervalWhiskers();
        Map<String, GroupKey> categories = new LinkedHashMap<>();
        for (Group g : figure.groups()) {
            Stats s = g.stats().orElseThrow();
            GroupKey k = g.key();
            String category = (k.runtime().isEmpty() ? "-" : k.runtime()) + (k.x().isEmpty() ? "" : " x=" + k.x());
            data.add((Number) s.mean(), null, k.backend(), category);
            categories.putIfAbsent(category, k);
            if (s.low().isPresent()) {
                renderer.add(k.backend(), category, s.low().getAsDouble(), s.high().getAsDouble());
            }
        }
        // The paper's backends we cannot run here (the unikernels) get a place, empty of ours, for their marker.
        GroupKey any = figure.groups().getFirst().key();
        List<String> paperOnly = paper.all().stream().map(PaperValue::key)
                .filter(key -> key.experiment().equals(any.experiment()) && key.metric().equals(any.metric())
                        && (key.variant().isEmpty() || key.variant().equals(any.variant())))
                .map(GroupKey::backend).distinct().filter(b -> data.getRowIndex(b) < 0).toList();
        paperOnly.forEach(b -> categories.keySet().forEach(c -> data.add((Number) null, null, b, c)));

        DefaultCategoryDataset paperData = new DefaultCategoryDataset();
        List<LegendItem> legend = new ArrayList<>();
        for (Object row : data.getRowKeys()) {
            String backend = row.toString();
            categories.forEach((category, k) -> paperData.addValue(paper.find(new GroupKey(k.experiment(), backend,
                    k.runtime(), k.variant(), k.x(), k.metric())).map(v -> (Number) v.value()).orElse(null),
                    backend, category));
            renderer.setSeriesPaint(data.getRowIndex(backend), ChartStyle.color(backend));
            legend.add(new LegendItem(paperOnly.contains(backend) ? backend + " (paper only)" : backend,
                    ChartStyle.color(backend)));
        }
        renderer.setBarPainter(new StandardBarPainter());
        renderer.setShadowVisible(false);
        renderer.setItemMargin(ITEM_MARGIN);
        LineAndShapeRenderer marks = paperMarks(data.getRowCount());
        legend.add(new LegendItem("the paper's value", null, null, null, true, PAPER_MARK, false, Color.WHITE, true,
                Color.BLACK, new BasicStroke(1.5f), false, new Line2D.Double(-5, 0, 5, 0), new BasicStroke(1f),
                Color.BLACK));

        CategoryAxis runtimes = new CategoryAxis("Runtime");
        NumberAxis values = new NumberAxis(figure.yLabel());
        values.setAutoRangeIncludesZero(true);
        CategoryPlot plot = new CategoryPlot(data, runtimes, values, renderer);
        plot.setDataset(1, paperData);
        plot.setRenderer(1, marks);
        plot.setDatasetRenderingOrder(DatasetRenderingOrder.FORWARD); // the marks over the bars
        LegendItemCollection items = new LegendItemCollection();
        legend.forEach(items::add);
        plot.setFixedLegendItems(items);
        // The axis scales to the bars and the marks; the whiskers may reach higher.
        if (renderer.highest() > values.getUpperBound()) {
            values.setUpperBound(renderer.highest() * 1.05);
        }
        plot.setRangeGridlinePaint(ChartStyle.gridColor());
        JFreeChart chart = new JFreeChart(plot);
        ChartStyle.apply(chart, figure, accelerator);
        return chart;
    }

    /** Hollow black diamonds, one per backend, at the middle of that backend's bar in each category. */
    private static LineAndShapeRenderer paperMarks(int backends) {
        LineAndShapeRenderer marks = new LineAndShapeRenderer(false, true);
        marks.setUseSeriesOffset(true);
        marks.setItemMargin(ITEM_MARGIN);
        marks.setUseOutlinePaint(true);
        for (int i = 0; i < backends; i++) {
            marks.setSeriesShape(i, PAPER_MARK);
            marks.setSeriesShapesFilled(i, false);
            marks.setSeriesPaint(i, Color.BLACK);
            marks.setSeriesOutlinePaint(i, Color.BLACK);
            marks.setSeriesOutlineStroke(i, new BasicStroke(1.5f));
        }
        return marks;
    }
}
