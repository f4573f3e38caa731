package dev.isola.dispatch;

import dev.isola.function.FunctionName;
import dev.isola.metrics.Metrics;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Many threads acquiring, releasing (sometimes as crashed) and a reaper evicting, all at once: the pool invariants
 * must hold at every step and nothing may be left running at the end.
 */
class DispatcherRaceTest {
    /** How long close() lets calls finish (of the fake clock in the tests). */
    private static final Duration DRAIN = Duration.ofSeconds(5);
    private static final FunctionName FN = FunctionName.of("race");
    private static final int THREADS = 8;
    private static final int CYCLES_PER_THREAD = 2_000;
    private static final int CONCURRENCY = 3;
    private static final int MAX_INSTANCES = 4;

    @Test
    void acquireReleaseReap_manyThreads_keepInvariants() throws Exception {
        AtomicLong now = new AtomicLong();
        FakeLauncher launcher = new FakeLauncher();
        Dispatcher dispatcher = Dispatcher.create(new Dispatcher.Parts(launcher, now::get, InstantSource.system(),
                Metrics.NOOP, 10_000, Duration.ZERO, InstanceEvents.NONE, EndpointProbe.CONNECT, DRAIN,
                NodeBudget.unlimited()));
        // The reaper moves the clock 1 ms a round: calls may wait much longer than the default 5 s of fake time.
        dispatcher.deploy(Functions.withScaling("race", CONCURRENCY, 0, MAX_INSTANCES, Duration.ofMillis(1), false,
                Duration.ofHours(1)));
        Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
        AtomicInteger violations = new AtomicInteger();
        AtomicInteger completed = new AtomicInteger();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int seed = t;
            workers.add(Thread.ofPlatform().start(() -> {
                Random random = new Random(seed);
                for (int i = 0; i < CYCLES_PER_THREAD; i++) {
                    Acquisition a = dispatcher.acquire(FN, EndpointProbe.CONNECT).settled();
                    if (!(a instanceof Acquisition.Acquired acquired)) {
                        violations.incrementAndGet();
                        continue;
                    }
                    Lease lease = acquired.lease();
                    int load = inFlight.computeIfAbsent(lease.instanceId(), k -> new AtomicInteger()).incrementAndGet();
                    if (load > CONCURRENCY) {
                        violations.incrementAndGet();
                    }
                    inFlight.get(lease.instanceId()).decrementAndGet();
                    boolean crash = random.nextInt(100) == 0;
                    if (crash) {
                        launcher.started.stream().filter(f -> f.id.equals(lease.instanceId())).findFirst()
                                .ifPresent(f -> f.crashed = true);
                    }
                    lease.release(!crash);
                    completed.incrementAndGet();
                }
            }));
        }
        AtomicInteger maxPooled = new AtomicInteger();
        Thread reaper = Thread.ofPlatform().start(() -> {
            while (completed.get() < THREADS * CYCLES_PER_THREAD) {
                now.addAndGet(Duration.ofMillis(1).toNanos());
                dispatcher.maintain();
                maxPooled.accumulateAndGet(dispatcher.instances(FN).size(), Math::max);
                LockSupport.parkNanos(10_000); // bounds the fake time that passes to ~100 s per real second
            }
        });
        for (Thread w : workers) {
            w.join();
        }
        reaper.join();
        dispatcher.close();

        assertThat(violations.get()).as("concurrency limit exceeded or acquire failed").isZero();
        assertThat(completed.get()).isEqualTo(THREADS * CYCLES_PER_THREAD);
        assertThat(maxPooled.get()).as("pooled instances never exceed maxInstances").isLessThanOrEqualTo(MAX_INSTANCES);
        assertThat(launcher.started.size()).as("idle reaping and crashes replaced instances").isGreaterThan(MAX_INSTANCES);
        assertThat(launcher.alive.get()).as("every instance stopped exactly once").isZero();
        assertThat(launcher.closedCount()).isEqualTo(launcher.started.size());
    }
}
