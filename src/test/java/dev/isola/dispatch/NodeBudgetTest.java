package dev.isola.dispatch;

import dev.isola.function.FunctionName;
import dev.isola.function.InvalidFunctionException;
import dev.isola.function.Limits;
import dev.isola.metrics.Metrics;
import dev.isola.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The node's budget across functions: a start past it waits (or is refused when the queue is full), idle instances
 * of other functions are stopped to make room, every way a slot leaves gives its room back, and
 * {@code minInstances} are kept within it.
 */
class NodeBudgetTest {
    private static final FunctionName A = FunctionName.of("a");
    private static final FunctionName B = FunctionName.of("b");
    private static final long MEMORY = Limits.DEFAULT_MEMORY;

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final FakeLauncher launcher = new FakeLauncher();
    private final NodeBudget budget = new NodeBudget(2, 10 * MEMORY);
    private Dispatcher dispatcher = create(16);

    private Dispatcher create(int queueLimit) {
        return Dispatcher.create(new Dispatcher.Parts(launcher, now::get, InstantSource.system(), Metrics.NOOP,
                queueLimit, Duration.ZERO, InstanceEvents.NONE, EndpointProbe.CONNECT, Duration.ofSeconds(5),
                budget));
    }

    @AfterEach
    void closeAndCheckEverythingGivenBack() {
        dispatcher.close();
        assertThat(launcher.alive.get()).isZero();
        assertThat(budget.use().instances()).as("every slot gave its room back").isZero();
        assertThat(budget.use().memoryBytes()).isZero();
    }

    private Acquisition call(FunctionName name) {
        return dispatcher.acquire(name, EndpointProbe.CONNECT).settled();
    }

    private static Lease acquired(Acquisition a) {
        assertThat(a).isInstanceOf(Acquisition.Acquired.class);
        return ((Acquisition.Acquired) a).lease();
    }

    @Test
    void startPastTheBudget_waits_untilAnotherFunctionsInstanceGoes() throws Exception {
        dispatcher.deploy(Functions.withScaling("a", 1, 0, 4, Duration.ofMinutes(1), false));
        dispatcher.deploy(Functions.withScaling("b", 1, 0, 4, Duration.ofMinutes(1), false));
        Lease a1 = acquired(call(A));
        Lease a2 = acquired(call(A));
        assertThat(budget.use().instances()).isEqualTo(2);

        CompletableFuture<Acquisition> b = CompletableFuture.supplyAsync(() -> call(B));
        Await.until(Duration.ofSeconds(5), () -> ((PoolDispatcher) dispatcher).waiting(B) == 1,
                "b's call to wait for room");
        assertThat(launcher.started).as("no start past the budget").hasSize(2);

        a1.release(true); // idle now: b may have its room
        Lease b1 = acquired(b.get(10, TimeUnit.SECONDS));
        assertThat(dispatcher.instances(A)).hasSize(1);
        assertThat(budget.use().instances()).isEqualTo(2);
        b1.release(true);
        a2.release(true);
    }

    /**
     * A sandbox slow to stop (one that ignores SIGTERM takes seconds) still holds its room in the node's budget: a
     * single-use function called in a burst had its live sandboxes plus every one still stopping, none counted.
     */
    @Test
    void aSandboxStillStopping_holdsItsRoom_untilItHasStopped() throws Exception {
        dispatcher.deploy(Functions.withScaling("a", 1, 0, 2, Duration.ofMinutes(1), true));
        CountDownLatch stops = new CountDownLatch(1);
        launcher.stopGate = stops;
        acquired(call(A)).release(true);
        acquired(call(A)).release(true);
        assertThat(budget.use().instances()).as("two sandboxes still stopping").isEqualTo(2);

        CompletableFuture<Acquisition> third = CompletableFuture.supplyAsync(() -> call(A));
        Await.until(Duration.ofSeconds(5), () -> ((PoolDispatcher) dispatcher).waiting(A) == 1,
                "the third call to wait for room");
        assertThat(launcher.started).as("no start while maxInstances sandboxes still run").hasSize(2);

        stops.countDown();
        acquired(third.get(10, TimeUnit.SECONDS)).release(true);
        assertThat(launcher.maxAlive.get()).isEqualTo(2);
    }

    @Test
    void startPastTheBudget_timesOut_orIsSaturated_sayingWhy() {
        dispatcher.deploy(Functions.withScaling("a", 1, 0, 4, Duration.ofMinutes(1), false));
        Lease a1 = acquired(call(A));
        Lease a2 = acquired(call(A));
        Acquisition.Pending third = (Acquisition.Pending) dispatcher.acquire(A, EndpointProbe.CONNECT);
        now.addAndGet(Functions.TIMEOUT.toNanos());
        assertThat(third.await()).isInstanceOfSatisfying(Acquisition.TimedOut.class,
                t -> assertThat(t.toString()).contains("node's budget is full", "2 of 2 instances"));

        a1.release(true);
        a2.release(true);
        dispatcher.close();
        dispatcher = create(0);
        dispatcher.deploy(Functions.withScaling("a", 1, 0, 4, Duration.ofMinutes(1), false));
        Lease b1 = acquired(call(A));
        Lease b2 = acquired(call(A));
        assertThat(call(A)).isInstanceOfSatisfying(Acquisition.Saturated.class,
                s -> assertThat(s.toString()).contains("node's budget is full"));
        b1.release(true);
        b2.release(true);
    }

    /** Stopping other functions' idle instances could never make room for it: they stay, the call fails at once. */
    @Test
    void aStartWhoseLimitNeverFits_failsAtOnce_andStopsNothingElse() {
        dispatcher.deploy(Functions.withScaling("a", 1, 0, 4, Duration.ofMinutes(1), false));
        acquired(call(A)).release(true);
        dispatcher.deploy(Functions.withMemory("b", 11 * MEMORY));

        assertThat(call(B)).isInstanceOfSatisfying(Acquisition.StartFailed.class,
                f -> assertThat(f.toString()).contains("more than the node's budget holds"));
        assertThat(launcher.closedCount()).as("a's idle instance kept").isZero();
    }

    /** Busy instances hold the room: stopping the idle ones would still not fit the call, so none is stopped. */
    @Test
    void anEvictionThatCannotMakeRoom_stopsNothing() {
        dispatcher.deploy(Functions.withScaling("a", 1, 0, 4, Duration.ofMinutes(1), false));
        dispatcher.deploy(Functions.withScaling("c", 1, 0, 4, Duration.ofMinutes(1), false));
        Lease busy = acquired(call(A));
        acquired(call(FunctionName.of("c"))).release(true);
        dispatcher.deploy(Functions.withMemory("b", 10 * MEMORY));

        Acquisition.Pending b = (Acquisition.Pending) dispatcher.acquire(B, EndpointProbe.CONNECT);
        now.addAndGet(Functions.TIMEOUT.toNanos());

        assertThat(b.await()).isInstanceOf(Acquisition.TimedOut.class);
        assertThat(launcher.closedCount()).as("c's idle instance kept: stopping it could not make room").isZero();
        busy.release(true);
    }

    /**
     * The room of an instance that was stopped comes back once it has stopped, seconds later for a sandbox that
     * ignores SIGTERM: meanwhile the call waits for it, and stops no other idle instance.
     */
    @Test
    void anEvictionUnderWay_isWaitedFor_notFollowedByMore() throws Exception {
        dispatcher.deploy(Functions.withScaling("a", 1, 0, 4, Duration.ofMinutes(1), false));
        Lease a1 = acquired(call(A));
        Lease a2 = acquired(call(A));
        a1.release(true);
        a2.release(true);
        dispatcher.deploy(Functions.withScaling("b", 1, 0, 4, Duration.ofMinutes(1), false));
        CountDownLatch stops = new CountDownLatch(1);
        launcher.stopGate = stops;

        CompletableFuture<Acquisition> b = CompletableFuture.supplyAsync(() -> call(B));
        Await.until(Duration.ofSeconds(5), () -> launcher.closedCount() == 1, "one of a's instances to be stopping");
        Await.until(Duration.ofSeconds(5), () -> ((PoolDispatcher) dispatcher).waiting(B) == 1,
                "b's call to wait for the room on its way");
        assertThat(launcher.closedCount()).as("no second eviction meanwhile").isEqualTo(1);

        stops.countDown();
        acquired(b.get(10, TimeUnit.SECONDS)).release(true);
        assertThat(dispatcher.instances(A)).hasSize(1);
    }

    @Test
    void aManifestWhoseLimitNeverFits_isRefusedAtDeploy() {
        budget.fitsOneInstance().check(Functions.withMemory("fits", 10 * MEMORY).manifest());
        assertThatThrownBy(() -> budget.fitsOneInstance().check(Functions.withMemory("big", 11 * MEMORY).manifest()))
                .isInstanceOf(InvalidFunctionException.class).hasMessageContaining("nodeMemory");
    }

    @Test
    void minInstances_startWithinTheBudget() {
        dispatcher.deploy(Functions.withScaling("a", 1, 3, 4, Duration.ofMinutes(1), false));
        dispatcher.maintain();
        Await.until(Duration.ofSeconds(5), () -> launcher.started.size() == 2, "two of the three to start");
        dispatcher.maintain();
        assertThat(launcher.started).as("the third has no room").hasSize(2);
        assertThat(budget.use().instances()).isEqualTo(2);
    }

    @Test
    void failedStarts_andCrashes_giveTheirRoomBack() {
        dispatcher.deploy(Functions.withScaling("a", 1, 0, 4, Duration.ofMinutes(1), false));
        launcher.failNext = true;
        assertThat(call(A)).isInstanceOf(Acquisition.StartFailed.class);
        assertThat(budget.use().instances()).isZero();
        Lease lease = acquired(call(A));
        lease.release(false); // broken: the instance goes
        Await.until(Duration.ofSeconds(5), () -> budget.use().instances() == 0, "the broken instance's room back");
    }
}
