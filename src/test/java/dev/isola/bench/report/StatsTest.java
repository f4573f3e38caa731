package dev.isola.bench.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Expected values are computed by hand; t quantiles from a printed Student-t table. */
class StatsTest {
    private static final double EPS = 1e-6;

    @Test
    void of_fiveValues_matchesHandComputation() {
        Stats s = Stats.of(new double[] {5, 3, 1, 4, 2});

        assertThat(s.n()).isEqualTo(5);
        assertThat(s.mean()).isCloseTo(3.0, within(EPS));
        assertThat(s.median()).isCloseTo(3.0, within(EPS));
        assertThat(s.p95()).isCloseTo(4.8, within(EPS)); // rank 0.95 * 4 = 3.8 -> 4 + 0.8 * (5 - 4)
        assertThat(s.stddev().getAsDouble()).isCloseTo(Math.sqrt(2.5), within(EPS));
        // t(0.975, 4) = 2.776445; 2.776445 * 1.581139 / sqrt(5) = 1.963243
        assertThat(s.interval()).isEqualTo(Stats.Interval.STUDENT_T);
        assertThat(s.low().getAsDouble()).isCloseTo(3 - 1.963243, within(EPS));
        assertThat(s.high().getAsDouble()).isCloseTo(3 + 1.963243, within(EPS));
    }

    @Test
    void of_fewerThanFiveValues_isTheRange_whichATIntervalWouldOvershootBelowZero() {
        Stats s = Stats.of(new double[] {10, 20});

        assertThat(s.median()).isCloseTo(15, within(EPS));
        assertThat(s.p95()).isCloseTo(19.5, within(EPS));
        // t(0.975, 1) = 12.706205 would give 15 ± 63.5, a start of -48 ms
        assertThat(s.interval()).isEqualTo(Stats.Interval.RANGE);
        assertThat(s.low().getAsDouble()).isEqualTo(10);
        assertThat(s.high().getAsDouble()).isEqualTo(20);
    }

    @Test
    void of_threeSkewedValues_medianIsMiddleAndP95Interpolates() {
        Stats s = Stats.of(new double[] {9, 2, 4});

        assertThat(s.mean()).isCloseTo(5, within(EPS));
        assertThat(s.median()).isCloseTo(4, within(EPS));
        assertThat(s.p95()).isCloseTo(8.5, within(EPS)); // rank 1.9 -> 4 + 0.9 * 5
        assertThat(s.low().getAsDouble()).isEqualTo(2);
        assertThat(s.high().getAsDouble()).isEqualTo(9);
    }

    @Test
    void of_skewedValuesWhoseTIntervalReachesBelowZero_useTheBootstrap_withinTheValues() {
        double[] values = {1, 1, 1, 1, 1, 1, 200}; // mean 29.4, t interval 29.4 ± 69.1
        Stats s = Stats.of(values);

        assertThat(s.interval()).isEqualTo(Stats.Interval.BOOTSTRAP);
        assertThat(s.low().getAsDouble()).isGreaterThanOrEqualTo(1).isLessThan(s.mean());
        assertThat(s.high().getAsDouble()).isGreaterThan(s.mean()).isLessThanOrEqualTo(200);
        assertThat(Stats.of(values)).as("the same interval each time").isEqualTo(s);
    }

    @Test
    void of_valuesThatMayBeNegative_keepTheTInterval() {
        Stats s = Stats.of(new double[] {-5, -1, 0, 1, 5, 6, -6});

        assertThat(s.interval()).isEqualTo(Stats.Interval.STUDENT_T);
        assertThat(s.low().getAsDouble()).isNegative();
    }

    @Test
    void of_oneValue_hasNoSpreadAndNoInterval() {
        Stats s = Stats.of(new double[] {42});

        assertThat(s.n()).isEqualTo(1);
        assertThat(s.mean()).isEqualTo(42);
        assertThat(s.median()).isEqualTo(42);
        assertThat(s.p95()).isEqualTo(42);
        assertThat(s.stddev()).isEmpty();
        assertThat(s.interval()).isEqualTo(Stats.Interval.NONE);
        assertThat(s.low()).isEmpty();
    }

    @Test
    void of_identicalValues_hasZeroWidthInterval() {
        Stats s = Stats.of(new double[] {7, 7, 7, 7, 7});

        assertThat(s.stddev().getAsDouble()).isZero();
        assertThat(s.high().getAsDouble() - s.low().getAsDouble()).isZero();
    }

    @Test
    void of_noValues_isRejected() {
        assertThatThrownBy(() -> Stats.of(new double[0])).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest(name = "quantile({1}) of 1..10 = {2}")
    @CsvSource({
            "1 2 3 4 5 6 7 8 9 10, 0.0,  1",
            "1 2 3 4 5 6 7 8 9 10, 0.5,  5.5",
            "1 2 3 4 5 6 7 8 9 10, 0.95, 9.55",
            "1 2 3 4 5 6 7 8 9 10, 1.0,  10",
    })
    void quantile_interpolatesBetweenClosestRanks(String values, double p, double expected) {
        double[] sorted = Arrays.stream(values.split(" ")).mapToDouble(Double::parseDouble).toArray();

        assertThat(Stats.quantile(sorted, p)).isCloseTo(expected, within(EPS));
    }
}
