package dev.isola.bench.report;

import dev.isola.bench.result.Sample;
import dev.isola.bench.result.Sample.Status;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SummaryTest {
    @Test
    void of_groupsByKeyAndCountsFailuresPerStatus() {
        Summary summary = Summary.of(List.of(
                Sample.ok("cold-start", "runc", "go", "", "", 0, "completion_ms", 10, "ms"),
                Sample.ok("cold-start", "runc", "go", "", "", 1, "completion_ms", 20, "ms"),
                Sample.failed("cold-start", "runc", "go", "", "", 2, "completion_ms", "ms", Status.TIMEOUT, "late"),
                Sample.ok("cold-start", "runsc", "go", "", "", 0, "completion_ms", 30, "ms")));

        assertThat(summary.groups()).hasSize(2);
        Group runc = summary.groups().getFirst();
        assertThat(runc.key().backend()).isEqualTo("runc");
        assertThat(runc.ok()).isEqualTo(2);
        assertThat(runc.failed()).isEqualTo(1);
        assertThat(runc.failed(Status.TIMEOUT)).isEqualTo(1);
        assertThat(runc.failed(Status.ERROR)).isZero();
        assertThat(runc.stats().orElseThrow().mean()).isEqualTo(15);
        assertThat(runc.errors()).containsExactly("late");
        assertThat(runc.unit()).isEqualTo("ms");
    }

    @Test
    void of_allFailed_keepsTheGroupWithoutStatistics() {
        Summary summary = Summary.of(List.of(
                Sample.failed("disk", "microvm", "go", "", "", 0, "duration_ms", "ms", Status.ERROR, "boom"),
                Sample.failed("disk", "microvm", "go", "", "", 1, "duration_ms", "ms", Status.ERROR, "boom"),
                Sample.failed("disk", "microvm", "go", "", "", 2, "duration_ms", "ms", Status.TIMEOUT, "slow")));

        Group g = summary.groups().getFirst();
        assertThat(g.stats()).isEmpty();
        assertThat(g.ok()).isZero();
        assertThat(g.failed()).isEqualTo(3);
        assertThat(g.failed(Status.ERROR)).isEqualTo(2);
        assertThat(g.errors()).containsExactly("boom", "slow");
    }

    @Test
    void of_ordersExperimentsLikeThePaperAndXNumerically() {
        Summary summary = Summary.of(List.of(
                Sample.ok("disk", "runc", "go", "", "", 0, "duration_ms", 1, "ms"),
                Sample.ok("burst", "runc", "go", "", "100", 0, "mean_ms", 1, "ms"),
                Sample.ok("burst", "runc", "go", "", "20", 0, "mean_ms", 1, "ms"),
                Sample.ok("cold-start", "microvm", "go", "", "", 0, "completion_ms", 1, "ms"),
                Sample.ok("cold-start", "runc", "go", "", "", 0, "completion_ms", 1, "ms")));

        assertThat(summary.groups()).extracting(g -> g.key().experiment() + ":" + g.key().backend() + ":"
                + g.key().x()).containsExactly("cold-start:runc:", "cold-start:microvm:", "burst:runc:20",
                "burst:runc:100", "disk:runc:");
    }
}
