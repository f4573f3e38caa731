package dev.isola.dispatch;

import dev.isola.function.FunctionName;
import dev.isola.metrics.Metrics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

class DispatcherTest {
    private static final FunctionName HELLO = FunctionName.of("hello");

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final FakeLauncher launcher = new FakeLauncher();
    private Dispatcher dispatcher = create(16);

    private Dispatcher create(int queueLimit) {
        return Dispatcher.create(launcher, now::get, InstantSource.system(), Metrics.NOOP, queueLimit, Duration.ZERO);
    }

    @AfterEach
    void closeAndCheckNothingLeft() {
        dispatcher.close();
        assertThat(launcher.alive.get()).as("instances still running after close").isZero();
    }

    private Lease acquired(Acquisition a) {
        assertThat(a).isInstanceOf(Acquisition.Acquired.class);
        return ((Acquisition.Acquired) a).lease();
    }

    private long deadline() {
        return now.get() + Duration.ofSeconds(1).toNanos();
    }

    @Test
    void acquire_unknownFunction_isNotFound() {
        assertThat(dispatcher.acquire(HELLO, deadline())).isEqualTo(new Acquisition.NotFound(HELLO));
    }

    @Test
    void acquire_noInstance_coldStartsOne() {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 2, Duration.ofMinutes(1), false));
        Lease lease = acquired(dispatcher.acquire(HELLO, deadline()));
        assertThat(lease.coldStart()).isTrue();
        assertThat(launcher.started).hasSize(1);
        lease.release(true);
    }

    @Test
    void acquire_afterRelease_reusesWarmInstance() {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 2, Duration.ofMinutes(1), false));
        Lease first = acquired(dispatcher.acquire(HELLO, deadline()));
        first.release(true);
        Lease second = acquired(dispatcher.acquire(HELLO, deadline()));
        assertThat(second.coldStart()).isFalse();
        assertThat(second.instanceId()).isEqualTo(first.instanceId());
        second.release(true);
    }

    @Test
    void acquire_concurrencyReached_startsAnotherUpToMax() {
        dispatcher.deploy(Functions.withScaling("hello", 2, 0, 2, Duration.ofMinutes(1), false));
        Lease a = acquired(dispatcher.acquire(HELLO, deadline()));
        Lease b = acquired(dispatcher.acquire(HELLO, deadline()));
        Lease c = acquired(dispatcher.acquire(HELLO, deadline()));
        assertThat(b.instanceId()).isEqualTo(a.instanceId());
        assertThat(c.instanceId()).isNotEqualTo(a.instanceId());
        assertThat(launcher.started).hasSize(2);
        a.release(true);
        b.release(true);
        c.release(true);
    }

    @Test
    void tryAcquire_takesOnlyAFreeSlotOfAReadyInstance_andNeverStartsOne() {
        assertThat(dispatcher.tryAcquire(HELLO)).isEqualTo(new Acquisition.NotFound(HELLO));
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 2, Duration.ofMinutes(1), false));
        assertThat(dispatcher.tryAcquire(HELLO)).as("no instance yet: only acquire may start one").isNull();
        assertThat(launcher.started).isEmpty();
        Lease cold = acquired(dispatcher.acquire(HELLO, deadline()));
        assertThat(dispatcher.tryAcquire(HELLO)).as("its only slot is taken").isNull();
        cold.release(true);
        Lease warm = acquired(dispatcher.tryAcquire(HELLO));
        assertThat(warm.coldStart()).isFalse();
        assertThat(warm.instanceId()).isEqualTo(cold.instanceId());
        warm.release(true);
        assertThat(launcher.started).hasSize(1);
    }

    @Test
    void tryAcquire_singleUse_alwaysLeavesItToAcquire() {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 2, Duration.ofMinutes(1), true));
        acquired(dispatcher.acquire(HELLO, deadline())).release(true);
        assertThat(dispatcher.tryAcquire(HELLO)).isNull();
    }

    @Test
    void acquireLater_reservesTheStartsAsCallsArrive_evenIfAnEarlierCallsInstanceIsFreeBeforeTheyRun() {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 5, Duration.ofMinutes(1), false));
        List<Supplier<Acquisition>> burst = List.of(dispatcher.acquireLater(HELLO), dispatcher.acquireLater(HELLO),
                dispatcher.acquireLater(HELLO));
        assertThat(dispatcher.instances(HELLO)).as("three starts reserved on arrival").hasSize(3)
                .allMatch(i -> i.state() == InstanceState.STARTING);

        Lease first = acquired(burst.get(0).get());
        first.release(true); // free before the other two calls' threads run
        Lease second = acquired(burst.get(1).get());
        Lease third = acquired(burst.get(2).get());
        assertThat(List.of(first, second, third)).allMatch(Lease::coldStart);
        assertThat(launcher.started).hasSize(3);

        Supplier<Acquisition> next = dispatcher.acquireLater(HELLO);
        assertThat(dispatcher.instances(HELLO)).as("a free instance: nothing reserved").hasSize(3);
        Lease warm = acquired(next.get());
        assertThat(warm.coldStart()).isFalse();
        assertThat(warm.instanceId()).isEqualTo(first.instanceId());
        List.of(second, third, warm).forEach(l -> l.release(true));
    }

    @Test
    void acquireLater_atMaxInstances_waitsForAFreeSlot() throws Exception {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 1, Duration.ofMinutes(1), false));
        Lease busy = acquired(dispatcher.acquire(HELLO, deadline()));
        Supplier<Acquisition> waiting = dispatcher.acquireLater(HELLO);
        assertThat(dispatcher.instances(HELLO)).hasSize(1);
        var waiter = Thread.ofVirtual().start(() -> {
            Lease l = acquired(waiting.get());
            assertThat(l.instanceId()).isEqualTo(busy.instanceId());
            l.release(true);
        });
        busy.release(true);
        waiter.join(5_000);
        assertThat(waiter.isAlive()).isFalse();
        assertThat(launcher.started).hasSize(1);
    }

    @Test
    void acquireLater_versionReplacedBeforeTheReservedStartRuns_stillStartsOne_andNothingIsLeft() {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 2, Duration.ofMinutes(1), false));
        Supplier<Acquisition> reserved = dispatcher.acquireLater(HELLO);
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 2, Duration.ofMinutes(1), false));

        // On the old version if its drain has not begun yet, else (Drained) on the new one.
        Lease lease = acquired(reserved.get());
        assertThat(lease.coldStart()).isTrue();
        assertThat(launcher.started).hasSize(1);
        lease.release(true);
        // closeAndCheckNothingLeft: the old version's drain is waited for, and it stops what it had.
    }

    @Test
    void acquire_allBusyPastDeadline_timesOut() {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 1, Duration.ofMinutes(1), false));
        Lease a = acquired(dispatcher.acquire(HELLO, deadline()));
        assertThat(dispatcher.acquire(HELLO, now.get())).isInstanceOf(Acquisition.TimedOut.class);
        a.release(true);
    }

    @Test
    void acquire_queueFull_isSaturated() {
        dispatcher.close();
        dispatcher = create(0);
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 1, Duration.ofMinutes(1), false));
        Lease a = acquired(dispatcher.acquire(HELLO, deadline()));
        assertThat(dispatcher.acquire(HELLO, deadline())).isInstanceOf(Acquisition.Saturated.class);
        a.release(true);
    }

    @Test
    void acquire_waiterGetsSlotWhenReleased() throws Exception {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 1, Duration.ofMinutes(1), false));
        Lease a = acquired(dispatcher.acquire(HELLO, deadline()));
        var waiter = Thread.ofVirtual().start(() -> acquired(dispatcher.acquire(HELLO, Long.MAX_VALUE)).release(true));
        Thread.sleep(20);
        a.release(true);
        waiter.join(5_000);
        assertThat(waiter.isAlive()).isFalse();
        assertThat(launcher.started).hasSize(1);
    }

    @Test
    void maintain_idlePastTimeout_stopsInstance() {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 2, Duration.ofSeconds(30), false));
        acquired(dispatcher.acquire(HELLO, deadline())).release(true);
        now.addAndGet(Duration.ofSeconds(29).toNanos());
        dispatcher.maintain();
        assertThat(dispatcher.instances(HELLO)).hasSize(1);
        now.addAndGet(Duration.ofSeconds(2).toNanos());
        dispatcher.maintain();
        assertThat(dispatcher.instances(HELLO)).isEmpty();
    }

    @Test
    void maintain_keepsMinInstancesWarm() throws Exception {
        dispatcher.deploy(Functions.withScaling("hello", 1, 1, 2, Duration.ofSeconds(30), false));
        awaitInstances(1);
        now.addAndGet(Duration.ofHours(1).toNanos());
        dispatcher.maintain();
        assertThat(dispatcher.instances(HELLO)).hasSize(1);
        Lease lease = acquired(dispatcher.acquire(HELLO, deadline()));
        assertThat(lease.coldStart()).isFalse();
        lease.release(true);
    }

    @Test
    void singleUse_everyCallGetsFreshInstanceStoppedAfterwards() {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 4, Duration.ofMinutes(1), true));
        Lease a = acquired(dispatcher.acquire(HELLO, deadline()));
        a.release(true);
        Lease b = acquired(dispatcher.acquire(HELLO, deadline()));
        assertThat(b.coldStart()).isTrue();
        assertThat(b.instanceId()).isNotEqualTo(a.instanceId());
        b.release(true);
        assertThat(dispatcher.instances(HELLO)).isEmpty();
    }

    @Test
    void crashedInstance_isReplacedOnNextCall() {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 1, Duration.ofMinutes(1), false));
        Lease a = acquired(dispatcher.acquire(HELLO, deadline()));
        launcher.started.getFirst().crashed = true;
        a.release(false);
        Lease b = acquired(dispatcher.acquire(HELLO, deadline()));
        assertThat(b.coldStart()).isTrue();
        assertThat(b.instanceId()).isNotEqualTo(a.instanceId());
        b.release(true);
    }

    @Test
    void crashWhileIdle_isReapedAndReplaced() {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 1, Duration.ofMinutes(1), false));
        acquired(dispatcher.acquire(HELLO, deadline())).release(true);
        launcher.started.getFirst().crashed = true;
        Lease b = acquired(dispatcher.acquire(HELLO, deadline()));
        assertThat(b.coldStart()).as("a dead instance is never handed out").isTrue();
        b.release(true);
    }

    @Test
    void startFailure_isReportedAndFreesTheSlot() {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 1, Duration.ofMinutes(1), false));
        launcher.failNext = true;
        assertThat(dispatcher.acquire(HELLO, deadline())).isInstanceOf(Acquisition.StartFailed.class);
        acquired(dispatcher.acquire(HELLO, deadline())).release(true);
    }

    @Test
    void remove_stopsInstancesAndForgetsFunction() {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 2, Duration.ofMinutes(1), false));
        acquired(dispatcher.acquire(HELLO, deadline())).release(true);
        assertThat(dispatcher.remove(HELLO)).isTrue();
        assertThat(dispatcher.acquire(HELLO, deadline())).isInstanceOf(Acquisition.NotFound.class);
    }

    @Test
    void deploy_newVersion_drainsOldInstances() throws Exception {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 2, Duration.ofMinutes(1), false));
        Lease old = acquired(dispatcher.acquire(HELLO, deadline()));
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 2, Duration.ofMinutes(1), false));
        Lease fresh = acquired(dispatcher.acquire(HELLO, deadline()));
        assertThat(fresh.instanceId()).isNotEqualTo(old.instanceId());
        old.release(true);
        fresh.release(true);
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (launcher.closedCount() < 1 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(launcher.closedCount()).isEqualTo(1);
    }

    @Test
    void close_abortsStartsStillRunning_andReturnsWhenTheyEnded() throws Exception {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 2, Duration.ofMinutes(1), false));
        launcher.hangUntilInterrupted = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CompletableFuture<Acquisition> caller = java.util.concurrent.CompletableFuture
                .supplyAsync(() -> dispatcher.acquire(HELLO, now.get() + Duration.ofMinutes(5).toNanos()));
        assertThat(launcher.hangUntilInterrupted.await(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

        Thread closer = Thread.ofPlatform().start(dispatcher::close);
        long realDeadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (closer.isAlive() && System.nanoTime() < realDeadline) {
            now.addAndGet(Duration.ofSeconds(1).toNanos()); // the drain's grace period passes
            closer.join(Duration.ofMillis(10));
        }

        assertThat(closer.isAlive()).as("close still waiting for a start").isFalse();
        assertThat(launcher.interruptedLaunches.get()).isEqualTo(1);
        assertThat(caller.get(5, java.util.concurrent.TimeUnit.SECONDS))
                .isInstanceOf(Acquisition.StartFailed.class);
    }

    private void awaitInstances(int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (dispatcher.instances(HELLO).stream().filter(v -> v.state() == InstanceState.READY).count() < n
                && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }
}
