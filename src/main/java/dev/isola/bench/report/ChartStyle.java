package dev.isola.bench.report;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.Plot;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Stroke;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The look shared by every figure: one colour per backend in every figure (so runc is the same blue in figure 3
 * and figure 11), solid lines for Go, dashed for Node.js and dash-dotted for Python, white background, legend below.
 */
final class ChartStyle {
    static final int WIDTH = 900;
    static final int HEIGHT = 500;

    /** Tableau 10, the palette of the paper's seaborn figures, in its order. */
    private static final Map<String, Color> BACKEND_COLORS = Map.of(
            "runc", new Color(0x1f77b4), "runsc", new Color(0xff7f0e), "microvm", new Color(0x2ca02c),
            "nanos", new Color(0xd62728), "osv", new Color(0x9467bd), "process", new Color(0x7f7f7f));
    private static final List<Color> OTHER_COLORS = List.of(new Color(0x8c564b), new Color(0xe377c2),
            new Color(0xbcbd22), new Color(0x17becf));

    private ChartStyle() {
    }

    static Color color(String backend) {
        Color known = BACKEND_COLORS.get(backend);
        return known != null ? known : OTHER_COLORS.get(Math.floorMod(backend.hashCode(), OTHER_COLORS.size()));
    }

    /** Go solid, Node.js dashed, Python dash-dotted; the gateway variant of a series thinner and finer-dashed. */
    static Stroke stroke(String runtime, String variant) {
        boolean gateway = variant.equals("gateway");
        float[] dash = switch (runtime) {
            case "node" -> gateway ? new float[] {8f, 3f, 2f, 3f} : new float[] {8f, 5f};
            case "python" -> gateway ? new float[] {4f, 2f, 1f, 2f, 1f, 2f} : new float[] {10f, 3f, 2f, 3f};
            default -> gateway ? new float[] {2f, 3f} : null;
        };
        float width = gateway ? 1.8f : 2.5f;
        return dash == null ? new BasicStroke(width)
                : new BasicStroke(width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, dash, 0f);
    }

    /** What the figure's whiskers are: the intervals of its groups ({@link Stats.Interval}), each kind once. */
    static String whiskers(Figure figure) {
        String kinds = figure.groups().stream().flatMap(g -> g.stats().stream()).map(Stats::interval)
                .filter(i -> i != Stats.Interval.NONE).distinct().sorted().map(Stats.Interval::label)
                .collect(Collectors.joining(" or "));
        return kinds.isEmpty() ? "none (one value each)" : kinds;
    }

    /** Title, subtitles (what the whiskers are, the microVM accelerator), background and legend position. */
    static void apply(JFreeChart chart, Figure figure, Optional<String> accelerator) {
        chart.setBackgroundPaint(Color.WHITE);
        chart.setTitle(new TextTitle(figure.figure().map(n -> "Fig. " + n + " - ").orElse("") + figure.title(),
                new Font(Font.SANS_SERIF, Font.BOLD, 16)));
        chart.addSubtitle(new TextTitle("mean; whiskers: " + whiskers(figure), new Font(Font.SANS_SERIF, Font.PLAIN,
                11)));
        boolean microvm = figure.groups().stream().anyMatch(g -> g.key().backend().equals("microvm"));
        if (microvm && accelerator.isPresent()) {
            chart.addSubtitle(new TextTitle("microvm accelerator: " + accelerator.get(),
                    new Font(Font.SANS_SERIF, Font.ITALIC, 11)));
        }
        LegendTitle legend = chart.getLegend();
        if (legend != null) {
            legend.setPosition(RectangleEdge.BOTTOM);
        }
        Plot plot = chart.getPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setOutlineVisible(false);
    }

    static Color gridColor() {
        return new Color(0xdddddd);
    }
}
