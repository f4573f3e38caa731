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
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The first page of {@code GET /system/instances?limit=1} on a node holding thousands of idle instances (issue 21:
 * the admin API within 2x of its idle latency while they are held). The baseline is what the listing did before it
 * asked the dispatcher for a page: a view of every instance, from which the page was picked.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class InstanceListingBenchmark {
    private static final FunctionName NAME = FunctionName.of("held");

    @Param({"5000"})
    public int instances;

    private Dispatcher dispatcher;

    @Setup(Level.Trial)
    public void setUp() {
        dispatcher = IdleInstance.dispatcher(instances);
        dispatcher.deploy(IdleInstance.function(NAME,
                new Scaling(1, 0, instances, Duration.ofHours(1), false, 0, false)));
        List<Lease> held = new ArrayList<>();
        for (int i = 0; i < instances; i++) {
            if (!(dispatcher.acquire(NAME, EndpointProbe.CONNECT).settled() instanceof Acquisition.Acquired a)) {
                throw new IllegalStateException("instance " + i + " did not start");
            }
            held.add(a.lease());
        }
        held.forEach(l -> l.release(true));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        dispatcher.close();
    }

    /** The listing before: a view of each instance, and the smallest id among them. */
    @Benchmark
    public InstanceView baselineEveryView() {
        InstanceView first = null;
        for (InstanceView v : dispatcher.instances()) {
            if (first == null || v.id().compareTo(first.id()) < 0) {
                first = v;
            }
        }
        return first;
    }

    @Benchmark
    public InstancePage firstPage() {
        return dispatcher.page(Optional.empty(), "", 1);
    }
}
