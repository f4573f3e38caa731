package dev.isola.bench.report;

import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.renderer.category.CategoryItemRendererState;
import org.jfree.chart.renderer.category.StatisticalBarRenderer;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.category.CategoryDataset;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.geom.Line2D;
import java.awt.geom.Rectangle2D;
import java.io.Serial;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Bars with a whisker from each bar's interval, which need not be symmetric about the mean (a range, a bootstrap
 * interval): JFreeChart's statistical renderer draws only mean ± one deviation. The dataset's deviations are left
 * empty, so the base renderer draws the bars alone.
 */
final class IntervalWhiskers extends StatisticalBarRenderer {
    @Serial
    private static final long serialVersionUID = 1L;

    private final Map<List<String>, double[]> intervals = new HashMap<>();

    /** The interval of the bar of {@code series} in {@code category}. */
    void add(String series, String category, double low, double high) {
        intervals.put(List.of(series, category), new double[] {low, high});
    }

    /** The highest whisker, for the range axis (which scales to the bars alone). */
    double highest() {
        return intervals.values().stream().mapToDouble(i -> i[1]).max().orElse(0);
    }

    @Override
    public void drawItem(Graphics2D g2, CategoryItemRendererState state, Rectangle2D dataArea, CategoryPlot plot,
                         CategoryAxis domainAxis, ValueAxis rangeAxis, CategoryDataset data, int row, int column,
                         int pass) {
        super.drawItem(g2, state, dataArea, plot, domainAxis, rangeAxis, data, row, column, pass);
        int visibleRow = state.getVisibleSeriesIndex(row);
        double[] interval = intervals.get(List.of(data.getRowKey(row).toString(),
                data.getColumnKey(column).toString()));
        if (visibleRow < 0 || interval == null) {
            return;
        }
        double x = calculateBarW0(plot, plot.getOrientation(), dataArea, domainAxis, state, visibleRow, column)
                + state.getBarWidth() / 2;
        RectangleEdge edge = plot.getRangeAxisEdge();
        double low = rangeAxis.valueToJava2D(interval[0], dataArea, edge);
        double high = rangeAxis.valueToJava2D(interval[1], dataArea, edge);
        double cap = state.getBarWidth() / 4;
        g2.setPaint(Color.BLACK);
        g2.setStroke(new BasicStroke(1f));
        g2.draw(new Line2D.Double(x, low, x, high));
        g2.draw(new Line2D.Double(x - cap, low, x + cap, low));
        g2.draw(new Line2D.Double(x - cap, high, x + cap, high));
    }
}
