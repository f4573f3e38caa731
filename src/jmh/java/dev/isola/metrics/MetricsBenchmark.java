package dev.isola.metrics;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * What recording one invocation costs (in-flight up and down, the counter and the duration histogram), against the
 * no-op metrics the hot path would use with metrics disabled, in the same run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MetricsBenchmark {
    private final Metrics prometheus = new PrometheusMetrics();

    @Benchmark
    public void baselineNoop() {
        record(Metrics.NOOP);
    }

    @Benchmark
    public void prometheus() {
        record(prometheus);
    }

    /** What the edge does per request: look the series up once, then in-flight up, down, and the invocation. */
    private static void record(Metrics m) {
        Metrics.FunctionMetrics series = m.of("hello", "process");
        series.inFlight(1);
        series.inFlight(-1);
        series.invoked(false, 200, 123_456);
    }
}
