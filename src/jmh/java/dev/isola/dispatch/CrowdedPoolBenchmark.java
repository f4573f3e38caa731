package dev.isola.dispatch;

import dev.isola.function.FunctionName;
import dev.isola.function.Scaling;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A warm call of a function with {@code concurrency > 1} whose pool holds thousands of instances, each serving a
 * request (issue 21: what grows with instances must not be on a call's path). The baseline, in the same run, is the
 * same call of a function with one such instance: the ratio is what the pool's size costs a call.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CrowdedPoolBenchmark {
    private static final int CONCURRENCY = 4;
    private static final FunctionName ONE = FunctionName.of("one");
    private static final FunctionName CROWDED = FunctionName.of("crowded");

    @Param({"5000"})
    public int instances;

    private Dispatcher dispatcher;
    private final List<Lease> held = new ArrayList<>();

    @Setup(Level.Trial)
    public void setUp() {
        dispatcher = IdleInstance.dispatcher(instances * CONCURRENCY);
        serveOneEach(ONE, 1);
        serveOneEach(CROWDED, instances);
    }

    /** {@code n} instances of {@code name}, each left serving one request: packing fills each before the next. */
    private void serveOneEach(FunctionName name, int n) {
        dispatcher.deploy(IdleInstance.function(name,
                new Scaling(CONCURRENCY, 0, n, Duration.ofHours(1), false, 0, false)));
        List<Lease> extra = new ArrayList<>();
        for (int i = 0; i < n * CONCURRENCY; i++) {
            Lease lease = lease(dispatcher.acquire(name, EndpointProbe.CONNECT).settled());
            (i % CONCURRENCY == 0 ? held : extra).add(lease);
        }
        extra.forEach(l -> l.release(true));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        held.forEach(l -> l.release(true));
        dispatcher.close();
    }

    @Benchmark
    public String baselineOneInstance() {
        return acquireRelease(ONE);
    }

    @Benchmark
    public String crowdedPool() {
        return acquireRelease(CROWDED);
    }

    private String acquireRelease(FunctionName name) {
        Lease lease = lease(dispatcher.acquire(name, EndpointProbe.CONNECT));
        lease.release(true);
        return lease.instanceId();
    }

    private static Lease lease(Acquisition a) {
        if (!(a instanceof Acquisition.Acquired acquired)) {
            throw new IllegalStateException("expected a warm slot, got " + a);
        }
        return acquired.lease();
    }
}
