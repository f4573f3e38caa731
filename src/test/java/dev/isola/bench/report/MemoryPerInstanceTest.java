package dev.isola.bench.report;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class MemoryPerInstanceTest {
    @Test
    void slope_ofALineWithOffset_isItsGradient() {
        List<double[]> points = List.of(new double[] {1, 50 + 4}, new double[] {2, 50 + 8}, new double[] {4, 50 + 16});

        assertThat(MemoryPerInstance.slope(points).getAsDouble()).isCloseTo(4, within(1e-9));
    }

    @Test
    void slope_ofOnePoint_isAbsent() {
        assertThat(MemoryPerInstance.slope(List.of(new double[] {10, 100}))).isEmpty();
    }

    @Test
    void table_showsOurSlopeThePaperSlopeAndThePaperText() {
        Summary summary = Summary.of(SyntheticRun.samples("idle-memory"));

        String html = MemoryPerInstance.table(summary.groups(), PaperValues.load());

        // synthetic runc/go: 100 MiB per instance; paper: slope of fig. 7 runc/go data 4.55, text 3.9
        assertThat(html).contains("<td>runc</td><td>go</td><td class=\"n\">100</td><td class=\"n\">4.55</td>"
                + "<td class=\"n\">3.90</td>");
    }

    @Test
    void table_noIdleMemoryGroups_isEmpty() {
        assertThat(MemoryPerInstance.table(List.of(), PaperValues.load())).isEmpty();
    }
}
