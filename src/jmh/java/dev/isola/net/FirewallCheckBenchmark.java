package dev.isola.net;

import dev.isola.Ticker;
import dev.isola.host.Executables;
import dev.isola.host.ProcessRunner;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * What the firewall check costs every instance start when the periodic verification is up to date (the normal
 * case): against a bare read of the clock, the least any freshness check could do, in the same run. Runs nothing on
 * the host.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@Threads(2)
public class FirewallCheckBenchmark {
    private Firewall firewall;

    @Setup
    public void setUp() {
        firewall = new Firewall(ProcessRunner.create(Executables.fromPath(Optional.empty())), Ticker.SYSTEM,
                Duration.ofHours(1), new FirewallRules.Site(InstanceNetwork.BRIDGE_PREFIX + "*", "10.200.0.1",
                FirewallRules.PRIVATE_RANGES));
        firewall.markVerified();
    }

    @Benchmark
    public long baselineClockRead() {
        return Ticker.SYSTEM.nanos();
    }

    @Benchmark
    public void ensureVerified() {
        firewall.ensureVerified();
    }
}
