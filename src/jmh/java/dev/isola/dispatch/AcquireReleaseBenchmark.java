package dev.isola.dispatch;

import dev.isola.Ticker;
import dev.isola.function.DeployedFunction;
import dev.isola.function.FunctionName;
import dev.isola.function.Scaling;
import dev.isola.metrics.Metrics;
import dev.isola.sandbox.spi.Instance;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The dispatcher's share of every warm request: acquire a slot of a warm instance and release it. The baseline is
 * the cheapest thing a pool could do — one uncontended lock round trip and a counter — measured in the same run, so
 * the ratio says how much the pool's bookkeeping costs on top of its lock.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@Threads(2)
public class AcquireReleaseBenchmark {
    /** How long close() lets calls finish (of the fake clock in the tests). */
    private static final Duration DRAIN = Duration.ofSeconds(5);
    private static final FunctionName NAME = FunctionName.of("bench");

    private Dispatcher dispatcher;
    private final ReentrantLock baselineLock = new ReentrantLock();
    private long baselineCounter;

    @Setup(Level.Trial)
    public void setUp() {
        Launcher launcher = new Launcher() {
            @Override
            public String backend(DeployedFunction function) {
                return "bench";
            }

            @Override
            public Instance launch(DeployedFunction function, String instanceId, EndpointProbe probe) {
                return new IdleInstance(instanceId, InetSocketAddress.createUnresolved("bench", 1));
            }
        };
        dispatcher = Dispatcher.create(new Dispatcher.Parts(launcher, Ticker.SYSTEM, InstantSource.system(),
                Metrics.NOOP, 1024, Duration.ZERO, InstanceEvents.NONE, EndpointProbe.CONNECT, DRAIN,
                NodeBudget.unlimited()));
        dispatcher.deploy(IdleInstance.function(NAME,
                new Scaling(1000, 0, 1, Duration.ofHours(1), false, 0, false)));
        release(dispatcher.acquire(NAME, EndpointProbe.CONNECT).settled());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        dispatcher.close();
    }

    @Benchmark
    public long baselineLockAndCount() {
        baselineLock.lock();
        try {
            return ++baselineCounter;
        } finally {
            baselineLock.unlock();
        }
    }

    /** What the gateway's event loop does for a warm call: a slot decided without blocking, and released. */
    @Benchmark
    public String acquireRelease() {
        return release(dispatcher.acquire(NAME, EndpointProbe.CONNECT));
    }

    private static String release(Acquisition a) {
        if (!(a instanceof Acquisition.Acquired acquired)) {
            throw new IllegalStateException("expected a warm slot, got " + a);
        }
        acquired.lease().release(true);
        return acquired.lease().instanceId();
    }

}
