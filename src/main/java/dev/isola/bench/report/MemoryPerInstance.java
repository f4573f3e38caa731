package dev.isola.bench.report;

import dev.isola.bench.result.GroupKey;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * Idle memory per instance: the least-squares slope of mean memory over the instance count, for our series and
 * for the paper's (figure 7). The slope, not total / n, because the total includes a constant the first instance
 * pays (shared page cache, the gateway's own growth) that later instances do not; the paper's text states
 * per-instance numbers for three series, shown beside the slope of its data.
 */
final class MemoryPerInstance {
    static final String METRIC = "mem_used_mib";
    static final String TEXT_METRIC = "mem_per_instance_mib";

    private MemoryPerInstance() {
    }

    static String table(List<Group> groups, PaperValues paper) {
        Map<GroupKey, List<double[]>> series = new LinkedHashMap<>();
        for (Group g : groups) {
            if (g.key().metric().equals(METRIC) && g.stats().isPresent() && g.key().xValue().isPresent()) {
                series.computeIfAbsent(g.key().withoutX(), k -> new ArrayList<>())
                        .add(new double[] {g.key().xValue().getAsDouble(), g.stats().get().mean()});
            }
        }
        if (series.isEmpty()) {
            return "";
        }
        StringBuilder out = new StringBuilder("<p>Memory per instance (least-squares slope over n):</p>\n"
                + "<table class=\"results\"><thead><tr><th>backend</th><th>runtime</th><th>ours (MiB)</th>"
                + "<th>paper, slope of fig. 7 data (MiB)</th><th>paper text (MiB)</th></tr></thead><tbody>\n");
        series.forEach((key, points) -> {
            List<double[]> paperPoints = paper.all().stream().filter(v -> v.matchesSeries(key))
                    .filter(v -> !v.key().x().isEmpty())
                    .map(v -> new double[] {Double.parseDouble(v.key().x()), v.value()}).toList();
            OptionalDouble text = paper.find(new GroupKey(key.experiment(), key.backend(), key.runtime(),
                    key.variant(), "", TEXT_METRIC)).stream().mapToDouble(PaperValue::value).findFirst();
            out.append("<tr>").append(Html.td(key.backend())).append(Html.td(key.runtime()))
                    .append(Html.num(Html.number(slope(points)))).append(Html.num(Html.number(slope(paperPoints))))
                    .append(Html.num(Html.number(text))).append("</tr>\n");
        });
        return out.append("</tbody></table>\n").toString();
    }

    /** Ordinary least-squares slope of y over x; absent with fewer than two distinct x. */
    static OptionalDouble slope(List<double[]> points) {
        int n = points.size();
        double meanX = points.stream().mapToDouble(p -> p[0]).average().orElse(0);
        double meanY = points.stream().mapToDouble(p -> p[1]).average().orElse(0);
        double sxx = points.stream().mapToDouble(p -> (p[0] - meanX) * (p[0] - meanX)).sum();
        double sxy = points.stream().mapToDouble(p -> (p[0] - meanX) * (p[1] - meanY)).sum();
        return n < 2 || sxx == 0 ? OptionalDouble.empty() : OptionalDouble.of(sxy / sxx);
    }
}
