package dev.isola.dispatch;

import dev.isola.function.DeployedFunction;
import dev.isola.function.FunctionName;
import dev.isola.function.TrafficShare;
import dev.isola.metrics.Metrics;
import dev.isola.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DispatcherTest {
    /** How long close() lets calls finish (of the fake clock in the tests). */
    private static final Duration DRAIN = Duration.ofSeconds(5);
    private static final FunctionName HELLO = FunctionName.of("hello");
    private static final Duration WAIT = Duration.ofSeconds(5);

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final FakeLauncher launcher = new FakeLauncher();
    private Dispatcher dispatcher = create(16);

    private Dispatcher create(int queueLimit) {
        return Dispatcher.create(new Dispatcher.Parts(launcher, now::get, InstantSource.system(), Metrics.NOOP,
                queueLimit, Duration.ZERO, InstanceEvents.NONE, EndpointProbe.CONNECT, DRAIN, NodeBudget.unlimited()));
    }

    @AfterEach
    void closeAndCheckNothingLeft() throws InterruptedException {
        // The clock moves while close() waits: after a test that failed with a call still in flight on a replaced
        // version, a frozen clock would hold that version's drain, and this close, for ever.
        Thread closer = Thread.ofPlatform().start(dispatcher::close);
        long realDeadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (closer.isAlive() && System.nanoTime() < realDeadline) {
            now.addAndGet(Duration.ofSeconds(1).toNanos());
            closer.join(Duration.ofMillis(10));
        }
        assertThat(closer.isAlive()).as("close still waiting").isFalse();
        assertThat(launcher.alive.get()).as("instances still running after close").isZero();
    }

    /**
     * {@code minInstances} beyond the cores start one per core at a time, the next as one ends, while a call's start
     * does not wait for them: started all at once, slow starts shared the CPU until all passed their deadline.
     */
    @Test
    void minInstances_startOnePerCoreAtATime_whileACallStartsAtOnce() {
        int min = InstancePool.PREWARM_PARALLELISM + 3;
        CountDownLatch slow = new CountDownLatch(1);
        launcher.gate = slow;
        try {
            dispatcher.deploy(Functions.withScaling("hello", 1, min, min + 1, Duration.ofMinutes(1), false));
            dispatcher.maintain();
            Await.until(WAIT, () -> launcher.launching.get() == InstancePool.PREWARM_PARALLELISM,
                    "one start per core");
            dispatcher.maintain(); // a second round adds no start beside those in flight
            Acquisition.Pending forCall = pending(arrive());
            CompletableFuture<Acquisition> settled = CompletableFuture.supplyAsync(forCall::settled,
                    r -> Thread.ofVirtual().start(r));
            Await.until(WAIT, () -> launcher.launching.get() == InstancePool.PREWARM_PARALLELISM + 1,
                    "the call's own start beside them");
            assertThat(launcher.started).isEmpty();

            slow.countDown();
            acquired(settled.join()).release(true);
            Await.until(WAIT, () -> launcher.started.size() == min + 1, "every pre-warm started, in turns");
            assertThat(launcher.maxLaunching.get()).isEqualTo(InstancePool.PREWARM_PARALLELISM + 1);
        } finally {
            slow.countDown(); // close() waits for starts in flight
        }
    }

    /**
     * A function whose {@code minInstances} cannot start is not started again at every housekeeping round: the
     * rounds wait 2 s, then 4 s, 8 s…, and a start that works (a call's) ends the wait.
     */
    @Test
    void minInstancesThatFailToStart_areTriedAgainAfterAGrowingPause() {
        int min = InstancePool.PREWARM_PARALLELISM + 1;
        launcher.failEvery = true;
        dispatcher.deploy(Functions.withScaling("hello", 1, min, min + 1, Duration.ofMinutes(1), false));
        dispatcher.maintain();
        Await.until(WAIT, () -> launcher.failed.get() > 0 && dispatcher.instances().isEmpty(),
                "the round's starts to fail");
        assertThat(launcher.failed.get()).as("the start queued behind those in flight is given up")
                .isLessThanOrEqualTo(InstancePool.PREWARM_PARALLELISM);

        for (int pause : new int[] {2, 4, 8}) {
            int before = launcher.failed.get();
            housekeepFor(Duration.ofSeconds(pause).minusMillis(500));
            assertThat(launcher.failed.get()).as("no start within the pause of %d s", pause).isEqualTo(before);
            housekeepFor(Duration.ofMillis(500));
            assertThat(launcher.failed.get()).as("a start once the pause of %d s is over", pause).isGreaterThan(before);
        }

        launcher.failEvery = false;
        acquired(call()).release(true);
        dispatcher.maintain();
        Await.until(WAIT, () -> launcher.started.size() == min, "minInstances started once a start worked");
    }

    /** Housekeeping rounds every 250 ms of the fake clock, for {@code span}; each round's starts settle first. */
    private void housekeepFor(Duration span) {
        for (long t = 0; t < span.toMillis(); t += 250) {
            now.addAndGet(Duration.ofMillis(250).toNanos());
            dispatcher.maintain();
            Await.until(WAIT, () -> dispatcher.instances().stream()
                    .noneMatch(v -> v.state() == InstanceState.STARTING), "the round's starts to end");
        }
    }

    /** The call's outcome decided on arrival, as the gateway's event loop sees it. */
    private Acquisition arrive() {
        return dispatcher.acquire(HELLO, EndpointProbe.CONNECT);
    }

    /** The call's final outcome, waiting for it as the gateway's virtual thread does. */
    private Acquisition call() {
        return arrive().settled();
    }

    private static Lease acquired(Acquisition a) {
        assertThat(a).isInstanceOf(Acquisition.Acquired.class);
        return ((Acquisition.Acquired) a).lease();
    }

    private static Acquisition.Pending pending(Acquisition a) {
        assertThat(a).isInstanceOf(Acquisition.Pending.class);
        return (Acquisition.Pending) a;
    }

    @Test
    void acquire_unknownFunction_isNotFound() {
        assertThat(arrive()).isEqualTo(new Acquisition.NotFound(HELLO));
    }

    @Test
    void acquire_noInstance_coldStartsOne() {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 2, Duration.ofMinutes(1), false));
        Lease lease = acquired(call());
        assertThat(lease.coldStart()).isTrue();
        assertThat(launcher.started).hasSize(1);
        lease.release(true);
    }

    /**
     * Pages walk every instance once, in id order, across functions and pools, standby sandboxes included, with or
     * without a function's filter; the last page says no more follow.
     */
    @Test
    void page_walksEveryInstanceOnceInIdOrder() {
        FunctionName other = FunctionName.of("other");
        launcher.offersStandby = true;
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 5, Duration.ofMinutes(1), false));
        dispatcher.deploy(Functions.withStandby("other", 1, 2, false));
        List<Lease> leases = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            leases.add(acquired(call()));
        }
        leases.add(acquired(dispatcher.acquire(other, EndpointProbe.CONNECT).settled()));
        Await.until(WAIT, () -> dispatcher.instances().size() == 8, "five of hello, one of other and its two standbys");
        assertThat(dispatcher.instanceCount(HELLO)).isEqualTo(5);
        assertThat(dispatcher.instanceCount(other)).isEqualTo(3);

        for (Optional<FunctionName> function : List.of(Optional.<FunctionName>empty(), Optional.of(HELLO),
                Optional.of(other))) {
            List<String> expected = dispatcher.instances().stream().map(InstanceView::id)
                    .filter(id -> function.isEmpty() || id.startsWith(function.get().value() + ".")).sorted().toList();
            List<String> walked = new ArrayList<>();
            InstancePage page;
            do {
                page = dispatcher.page(function, walked.isEmpty() ? "" : walked.getLast(), 2);
                assertThat(page.instances()).hasSizeLessThanOrEqualTo(2);
                page.instances().forEach(v -> walked.add(v.id()));
            } while (page.more());
            assertThat(walked).as("pages of %s", function).isEqualTo(expected);
        }
        assertThat(dispatcher.page(Optional.of(FunctionName.of("absent")), "", 10)).isEqualTo(
                new InstancePage(List.of(), false));
        leases.forEach(l -> l.release(true));
    }

    @Test
    void acquire_afterRelease_reusesWarmInstance() {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 2, Duration.ofMinutes(1), false));
        Lease first = acquired(call());
        first.release(true);
        Lease second = acquired(call());
        assertThat(second.coldStart()).isFalse();
        assertThat(second.instanceId()).isEqualTo(first.instanceId());
        second.release(true);
    }

    @Test
    void acquire_concurrencyReached_startsAnotherUpToMax() {
        dispatcher.deploy(Functions.withScaling("hello", 2, 0, 2, Duration.ofMinutes(1), false));
        Lease a = acquired(call());
        Lease b = acquired(call());
        Lease c = acquired(call());
        assertThat(b.instanceId()).isEqualTo(a.instanceId());
        assertThat(c.instanceId()).isNotEqualTo(a.instanceId());
        assertThat(launcher.started).hasSize(2);
        a.release(true);
        b.release(true);
        c.release(true);
    }

    /**
     * A warm call goes to the busiest instance that still has room, so load packs onto few and the rest can idle out;
     * a full one and one that failed an exchange are passed over. The pool finds it by its index of slots with room
     * ({@link PoolSlots}), which every change of load must keep.
     */
    @Test
    void acquire_concurrency_takesTheBusiestWithRoom_passingFullAndFailedOnes() {
        dispatcher.deploy(Functions.withScaling("hello", 3, 0, 3, Duration.ofMinutes(1), false));
        List<Lease> onA = List.of(acquired(call()), acquired(call()), acquired(call()));
        String a = onA.getFirst().instanceId();
        assertThat(onA).extracting(Lease::instanceId).as("packed onto the first").containsOnly(a);
        List<Lease> onB = List.of(acquired(call()), acquired(call()), acquired(call()));
        String b = onB.getFirst().instanceId();
        assertThat(onB).extracting(Lease::instanceId).as("the first full: packed onto a second").containsOnly(b);
        Lease onC = acquired(call());
        String c = onC.instanceId();
        assertThat(Set.of(a, b, c)).hasSize(3);

        onA.getFirst().release(true); // a serves 2
        onB.getFirst().release(true); // b serves 2, c 1
        Lease busiest = acquired(call());
        assertThat(busiest.instanceId()).as("of two serving 2 and one serving 1").isIn(a, b);
        onB.get(1).release(false); // b failed an exchange: it takes no new request
        Lease withRoom = acquired(call());
        assertThat(withRoom.instanceId()).as("the other of a and b is full or failed").isEqualTo(
                busiest.instanceId().equals(a) ? c : a);
        assertThat(launcher.started).hasSize(3);

        for (Lease lease : List.of(onA.get(1), onA.get(2), onB.get(2), onC, busiest, withRoom)) {
            lease.release(true);
        }
    }

    @Test
    void arrive_takesAFreeSlotOfAReadyInstanceAtOnce_andLeavesStartsToTheWait() {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 2, Duration.ofMinutes(1), false));
        Acquisition.Pending first = pending(arrive());
        assertThat(launcher.started).as("the start runs in await, off the caller's loop").isEmpty();
        Lease cold = acquired(first.await());
        assertThat(cold.coldStart()).isTrue();
        cold.release(true);
        Lease warm = acquired(arrive());
        assertThat(warm.coldStart()).isFalse();
        assertThat(warm.instanceId()).isEqualTo(cold.instanceId());
        warm.release(true);
        assertThat(launcher.started).hasSize(1);
    }

    @Test
    void arrive_singleUse_alwaysStartsAFreshInstance() {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 2, Duration.ofMinutes(1), true));
        Lease first = acquired(call());
        first.release(true);
        Lease second = acquired(pending(arrive()).await());
        assertThat(second.coldStart()).isTrue();
        assertThat(second.instanceId()).isNotEqualTo(first.instanceId());
        second.release(true);
    }

    @Test
    void close_dropsAStartReservedForACallWhoseThreadNeverCame() {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 2, Duration.ofMinutes(1), false));
        Acquisition.Pending late = pending(arrive());
        dispatcher.close(); // the fake clock never moves: a drain that waited for this start would never end
        assertThat(late.await()).as("a stopping server, not a function that is gone (503, not 404)")
                .isInstanceOf(Acquisition.Unavailable.class);
        assertThat(launcher.started).isEmpty();
    }

    @Test
    void arrive_reservesTheStartsAsCallsArrive_evenIfAnEarlierCallsInstanceIsFreeBeforeTheyRun() {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 5, Duration.ofMinutes(1), false));
        List<Acquisition.Pending> burst = List.of(pending(arrive()), pending(arrive()), pending(arrive()));
        assertThat(dispatcher.instances(HELLO)).as("three starts reserved on arrival").hasSize(3)
                .allMatch(i -> i.state() == InstanceState.STARTING);

        Lease first = acquired(burst.get(0).await());
        first.release(true); // free before the other two calls' threads run
        Lease second = acquired(burst.get(1).await());
        Lease third = acquired(burst.get(2).await());
        assertThat(List.of(first, second, third)).allMatch(Lease::coldStart);
        assertThat(launcher.started).hasSize(3);

        Lease warm = acquired(arrive());
        assertThat(dispatcher.instances(HELLO)).as("a free instance: nothing reserved").hasSize(3);
        assertThat(warm.coldStart()).isFalse();
        assertThat(warm.instanceId()).isEqualTo(first.instanceId());
        List.of(second, third, warm).forEach(l -> l.release(true));
    }

    @Test
    void arrive_atMaxInstances_waitsForAFreeSlot() throws Exception {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 1, Duration.ofMinutes(1), false));
        Lease busy = acquired(call());
        Acquisition.Pending waiting = pending(arrive());
        assertThat(dispatcher.instances(HELLO)).as("nothing reserved at the limit").hasSize(1);
        CompletableFuture<Acquisition> waiter = CompletableFuture.supplyAsync(waiting::await);
        Await.until(WAIT, () -> ((PoolDispatcher) dispatcher).waiting(HELLO) == 1, "the call to wait in the queue");
        busy.release(true);
        Lease lease = acquired(waiter.get(5, TimeUnit.SECONDS));
        assertThat(lease.instanceId()).isEqualTo(busy.instanceId());
        lease.release(true);
        assertThat(launcher.started).hasSize(1);
    }

    /** Found dead by a waiting call, an instance is stopped at once, not once that call's own start has ended. */
    @Test
    void aWaiterFindingTheFreedInstanceDead_stopsItBeforeItsOwnStartEnds() throws Exception {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 1, Duration.ofMinutes(1), false));
        Lease busy = acquired(call());
        Acquisition.Pending waiting = pending(arrive());
        CompletableFuture<Acquisition> waiter = CompletableFuture.supplyAsync(waiting::await,
                r -> Thread.ofVirtual().start(r));
        Await.until(WAIT, () -> ((PoolDispatcher) dispatcher).waiting(HELLO) == 1, "the call to wait in the queue");
        CountDownLatch slow = new CountDownLatch(1);
        launcher.gate = slow;
        Acquisition settled;
        try {
            launcher.started.getFirst().crashed = true; // died as its last request ended
            busy.release(true);

            Await.until(WAIT, () -> launcher.launching.get() == 1, "the waiter to start a new instance");
            Await.until(WAIT, () -> launcher.started.getFirst().closed.get(), "the dead instance to be stopped");
        } finally {
            slow.countDown();
            settled = waiter.get(5, TimeUnit.SECONDS);
            if (settled instanceof Acquisition.Acquired got) {
                got.lease().release(true); // also after a failure above: close() waits for calls in flight
            }
        }
        assertThat(acquired(settled).coldStart()).isTrue();
    }

    @Test
    void arrive_versionReplacedBeforeTheReservedStartRuns_stillStartsOne_andNothingIsLeft() {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 2, Duration.ofMinutes(1), false));
        Acquisition.Pending reserved = pending(arrive());
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 2, Duration.ofMinutes(1), false));

        // On the old version if its drain has not begun yet, else (drained) on the new one; a start the old version
        // had begun when its drain came is stopped, and the call starts one on the new version.
        Lease lease = acquired(reserved.await());
        try {
            assertThat(lease.coldStart()).isTrue();
            assertThat(launcher.started).hasSizeBetween(1, 2);
        } finally {
            lease.release(true);
        }
        // closeAndCheckNothingLeft: the old version's drain is waited for, and it stops what it had.
    }

    /**
     * A call whose caller went away leaves the queue at once: queued callers that hung up held their places until
     * the function's timeout, and honest calls got 429 meanwhile.
     */
    @Test
    void aWaitingCallAbandoned_leavesTheQueueAtOnce_andStartsNothing() throws Exception {
        dispatcher.close();
        dispatcher = create(1);
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 1, Duration.ofMinutes(1), false));
        Lease busy = acquired(call());
        Acquisition.Pending waiting = pending(arrive());
        CompletableFuture<Acquisition> outcome = CompletableFuture.supplyAsync(waiting::await,
                r -> Thread.ofVirtual().start(r));
        Await.until(WAIT, () -> ((PoolDispatcher) dispatcher).waiting(HELLO) == 1, "the call to queue");

        waiting.abandon();

        assertThat(outcome.get(5, TimeUnit.SECONDS)).isInstanceOf(Acquisition.Unavailable.class);
        assertThat(((PoolDispatcher) dispatcher).waiting(HELLO)).isZero();
        Acquisition.Pending next = pending(arrive());
        CompletableFuture<Acquisition> served = CompletableFuture.supplyAsync(next::await,
                r -> Thread.ofVirtual().start(r));
        Await.until(WAIT, () -> ((PoolDispatcher) dispatcher).waiting(HELLO) == 1 || served.isDone(),
                "the next call to queue in the place freed (not 429)");
        busy.release(true);
        acquired(served.get(5, TimeUnit.SECONDS)).release(true);
        assertThat(launcher.started).hasSize(1);
    }

    @Test
    void acquire_allBusyPastTheFunctionsTimeout_timesOut() {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 1, Duration.ofMinutes(1), false));
        Lease a = acquired(call());
        Acquisition.Pending waiting = pending(arrive());
        now.addAndGet(Functions.TIMEOUT.toNanos());
        assertThat(waiting.await()).isInstanceOf(Acquisition.TimedOut.class);
        a.release(true);
    }

    @Test
    void acquire_queueFull_isSaturated() {
        dispatcher.close();
        dispatcher = create(0);
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 1, Duration.ofMinutes(1), false));
        Lease a = acquired(call());
        assertThat(call()).isInstanceOf(Acquisition.Saturated.class);
        a.release(true);
    }


    @Test
    void maintain_idlePastTimeout_stopsInstance() {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 2, Duration.ofSeconds(30), false));
        acquired(call()).release(true);
        now.addAndGet(Duration.ofSeconds(29).toNanos());
        dispatcher.maintain();
        assertThat(dispatcher.instances(HELLO)).hasSize(1);
        now.addAndGet(Duration.ofSeconds(2).toNanos());
        dispatcher.maintain();
        assertThat(dispatcher.instances(HELLO)).isEmpty();
    }

    @Test
    void maintain_stopsTheInstancesIdlePastTheTimeout_andKeepsTheOthers() {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 3, Duration.ofSeconds(30), false));
        Lease a = acquired(call());
        Lease b = acquired(call());
        Lease c = acquired(call());
        a.release(true);
        now.addAndGet(Duration.ofSeconds(10).toNanos());
        c.release(true);
        now.addAndGet(Duration.ofSeconds(10).toNanos());
        b.release(true);

        now.addAndGet(Duration.ofSeconds(15).toNanos()); // a idle 35 s, c 25 s, b 15 s
        dispatcher.maintain();
        assertThat(dispatcher.instances(HELLO)).extracting(InstanceView::id)
                .containsExactlyInAnyOrder(b.instanceId(), c.instanceId());
        now.addAndGet(Duration.ofSeconds(10).toNanos());
        dispatcher.maintain();
        assertThat(dispatcher.instances(HELLO)).extracting(InstanceView::id).containsExactly(b.instanceId());
    }

    /**
     * A warm call takes the instance idle the shortest (the others may time out) and asks only that one whether it
     * is alive: asking each idle instance made every warm call of a function with a thousand idle instances a
     * thousand system calls under the pool's lock.
     */
    @Test
    void warmCall_takesTheInstanceIdleTheShortest_andChecksOnlyIt() {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 50, Duration.ofMinutes(1), false));
        List<Lease> leases = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            leases.add(acquired(call()));
        }
        leases.forEach(l -> l.release(true));
        launcher.livenessChecks.set(0);

        Lease warm = acquired(call());

        assertThat(warm.coldStart()).isFalse();
        assertThat(warm.instanceId()).isEqualTo(leases.getLast().instanceId());
        assertThat(launcher.livenessChecks.get()).isEqualTo(1);
        warm.release(true);
    }

    /**
     * Housekeeping asks a bounded number of idle instances per round whether they are alive, in turn, so that a
     * round costs the same at 600 instances as at 6,000, and still finds every instance that died while idle.
     */
    @Test
    void maintain_findsEveryInstanceThatDiedIdle_withBoundedChecksPerRound() {
        int n = 600;
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, n, Duration.ofHours(1), false));
        List<Lease> leases = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            leases.add(acquired(call()));
        }
        leases.forEach(l -> l.release(true));
        for (int i : new int[] {7, 300, 599}) {
            launcher.started.get(i).crashed = true;
        }

        int rounds = (n + InstancePool.LIVENESS_BATCH - 1) / InstancePool.LIVENESS_BATCH;
        for (int round = 0; round < rounds; round++) {
            launcher.livenessChecks.set(0);
            dispatcher.maintain();
            assertThat(launcher.livenessChecks.get()).isLessThanOrEqualTo(InstancePool.LIVENESS_BATCH);
        }

        assertThat(dispatcher.instances(HELLO)).hasSize(n - 3);
        Await.until(WAIT, () -> launcher.alive.get() == n - 3, "the three dead instances stopped");
    }

    @Test
    void maintain_keepsMinInstancesWarm() throws Exception {
        dispatcher.deploy(Functions.withScaling("hello", 1, 1, 2, Duration.ofSeconds(30), false));
        awaitInstances(1);
        now.addAndGet(Duration.ofHours(1).toNanos());
        dispatcher.maintain();
        assertThat(dispatcher.instances(HELLO)).hasSize(1);
        Lease lease = acquired(call());
        assertThat(lease.coldStart()).isFalse();
        lease.release(true);
    }

    @Test
    void singleUse_everyCallGetsFreshInstanceStoppedAfterwards() {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 4, Duration.ofMinutes(1), true));
        Lease a = acquired(call());
        a.release(true);
        Lease b = acquired(call());
        assertThat(b.coldStart()).isTrue();
        assertThat(b.instanceId()).isNotEqualTo(a.instanceId());
        b.release(true);
        assertThat(dispatcher.instances(HELLO)).isEmpty();
    }

    @Test
    void crashedInstance_isReplacedOnNextCall() {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 1, Duration.ofMinutes(1), false));
        Lease a = acquired(call());
        launcher.started.getFirst().crashed = true;
        a.release(false);
        Lease b = acquired(call());
        assertThat(b.coldStart()).isTrue();
        assertThat(b.instanceId()).isNotEqualTo(a.instanceId());
        b.release(true);
    }

    @Test
    void crashWhileIdle_isReapedAndReplaced() {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 1, Duration.ofMinutes(1), false));
        acquired(call()).release(true);
        launcher.started.getFirst().crashed = true;
        Lease b = acquired(call());
        assertThat(b.coldStart()).as("a dead instance is never handed out").isTrue();
        b.release(true);
    }

    @Test
    void startFailure_isReportedAndFreesTheSlot() {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 1, Duration.ofMinutes(1), false));
        launcher.failNext = true;
        assertThat(call()).isInstanceOf(Acquisition.StartFailed.class);
        acquired(call()).release(true);
    }

    /** An Error in a start (out of memory) reaches the caller, and the slot does not stay reserved for ever. */
    @Test
    void anErrorInAStart_freesTheSlot() {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 1, Duration.ofMinutes(1), false));
        launcher.errorNext = new OutOfMemoryError("simulated");

        assertThatThrownBy(this::call).isInstanceOf(OutOfMemoryError.class);

        assertThat(dispatcher.instances(HELLO)).isEmpty();
        acquired(call()).release(true);
    }

    @Test
    void remove_stopsInstancesAndForgetsFunction() {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 2, Duration.ofMinutes(1), false));
        acquired(call()).release(true);
        assertThat(dispatcher.remove(HELLO)).isTrue();
        assertThat(arrive()).isInstanceOf(Acquisition.NotFound.class);
    }

    @Test
    void deploy_newVersion_drainsOldInstances() throws Exception {
        DeployedFunction v1 = Functions.withScaling("hello", 1, 0, 2, Duration.ofMinutes(1), false);
        dispatcher.deploy(v1);
        Lease old = acquired(call());
        dispatcher.deploy(Functions.nextVersion(v1));
        Lease fresh = acquired(call());
        assertThat(fresh.instanceId()).isNotEqualTo(old.instanceId());
        old.release(true);
        fresh.release(true);
        Await.until(WAIT, () -> launcher.closedCount() >= 1, "the old version's instance to stop");
        assertThat(launcher.closedCount()).isEqualTo(1);
    }

    @Test
    void aSplit_keepsTheInstancesOfAVersionAlreadyServing_andSendsCallsToBoth() {
        DeployedFunction v1 = Functions.withScaling("hello", 1, 0, 4, Duration.ofMinutes(1), false);
        dispatcher.deploy(v1);
        acquired(call()).release(true);

        dispatcher.split(List.of(new TrafficShare(v1, 50), new TrafficShare(Functions.nextVersion(v1), 50)));

        Set<String> versions = new HashSet<>();
        for (int i = 0; i < 200 && versions.size() < 2; i++) {
            Lease lease = acquired(call());
            versions.add(lease.version());
            lease.release(true);
        }
        assertThat(versions).containsExactlyInAnyOrder("1", "2");
        assertThat(launcher.closedCount()).as("version 1's instance kept serving").isZero();

        dispatcher.deploy(v1);
        Await.until(WAIT, () -> dispatcher.instances(HELLO).stream().allMatch(v -> v.version() == 1),
                "version 2 to drain once the split ends");
    }

    @Test
    void acquire_afterClose_isUnavailable() {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 2, Duration.ofMinutes(1), false));
        dispatcher.close();
        assertThat(arrive()).isInstanceOf(Acquisition.Unavailable.class);
    }

    @Test
    void close_abortsStartsStillRunning_andReturnsWhenTheyEnded() throws Exception {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 2, Duration.ofMinutes(1), false));
        launcher.hangUntilInterrupted = new CountDownLatch(1);
        CompletableFuture<Acquisition> caller = CompletableFuture.supplyAsync(this::call);
        assertThat(launcher.hangUntilInterrupted.await(5, TimeUnit.SECONDS)).isTrue();

        Thread closer = Thread.ofPlatform().start(dispatcher::close);
        long realDeadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (closer.isAlive() && System.nanoTime() < realDeadline) {
            now.addAndGet(Duration.ofSeconds(1).toNanos()); // the drain's grace period passes
            closer.join(Duration.ofMillis(10));
        }

        assertThat(closer.isAlive()).as("close still waiting for a start").isFalse();
        assertThat(launcher.interruptedLaunches.get()).isEqualTo(1);
        assertThat(caller.get(5, TimeUnit.SECONDS)).as("as a call that waited: the server is stopping")
                .isInstanceOf(Acquisition.Unavailable.class);
    }

    /** A redeploy's drain that stops a caller's start sends the call to the new version, not back as a failure. */
    @Test
    void aRedeploy_thatAbortsACallersStart_sendsTheCallToTheNewVersion() throws Exception {
        DeployedFunction v1 = Functions.withScaling("hello", 1, 0, 2, Duration.ofMinutes(1), false);
        dispatcher.deploy(v1);
        launcher.hangUntilInterrupted = new CountDownLatch(1);
        CompletableFuture<Acquisition> caller = CompletableFuture.supplyAsync(this::call);
        assertThat(launcher.hangUntilInterrupted.await(5, TimeUnit.SECONDS)).isTrue();
        launcher.hangUntilInterrupted = null;

        dispatcher.deploy(Functions.nextVersion(v1));
        long realDeadline = System.nanoTime() + WAIT.toNanos();
        while (!caller.isDone() && System.nanoTime() < realDeadline) {
            now.addAndGet(Duration.ofSeconds(1).toNanos()); // the drain's grace period passes
            try {
                caller.get(10, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                // not yet: the clock moves on
            }
        }

        Lease lease = acquired(caller.get(5, TimeUnit.SECONDS));
        assertThat(lease.version()).isEqualTo("2");
        lease.release(true);
    }

    /**
     * An admin's removal interrupted (a stopping server interrupts its handler threads) returns early, but the drain
     * goes on: it once skipped its clean-up, and an idle instance stayed running, out of every pool.
     */
    @Test
    void remove_interrupted_stillStopsEveryInstance() throws Exception {
        dispatcher.deploy(Functions.withScaling("hello", 1, 0, 2, Duration.ofMinutes(1), false));
        Lease busy = acquired(call());
        acquired(call()).release(true); // one idle beside the busy one
        Thread remover = Thread.ofPlatform().start(() -> dispatcher.remove(HELLO));
        try {
            Await.until(WAIT, () -> remover.getState() == Thread.State.WAITING
                    || remover.getState() == Thread.State.TIMED_WAITING, "the removal to wait for the busy call");
            remover.interrupt();
            remover.join(WAIT.toMillis());
        } finally {
            busy.release(true);
        }

        assertThat(remover.isAlive()).isFalse();
        Await.until(WAIT, () -> launcher.alive.get() == 0, "both instances stopped");
    }

    /** A replaced version's calls get the shutdown's drain period, not their own timeout (up to an hour). */
    @Test
    void close_hurriesTheDrainOfAReplacedVersion() throws Exception {
        DeployedFunction v1 = Functions.withScaling("hello", 1, 0, 2, Duration.ofMinutes(1), false,
                Duration.ofHours(1));
        dispatcher.deploy(v1);
        Lease old = acquired(call());
        dispatcher.deploy(Functions.nextVersion(v1));

        Thread closer = Thread.ofPlatform().start(dispatcher::close);
        try {
            long realDeadline = System.nanoTime() + WAIT.toNanos();
            while (closer.isAlive() && System.nanoTime() < realDeadline) {
                now.addAndGet(Duration.ofSeconds(1).toNanos()); // the drain period of close() passes
                closer.join(Duration.ofMillis(10));
            }
            assertThat(closer.isAlive()).as("close still waiting for the old version's call").isFalse();
        } finally {
            old.release(true); // lets a close that failed to hurry end too
        }
    }

    @Test
    void aNewVersionAfterClose_isRefused() {
        DeployedFunction v1 = Functions.withScaling("hello", 1, 0, 2, Duration.ofMinutes(1), false);
        dispatcher.deploy(v1);
        dispatcher.close();
        assertThatThrownBy(() -> dispatcher.deploy(Functions.nextVersion(v1)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("shutting down");
        assertThat(launcher.started).isEmpty();
    }

    /** A replaced version's instances still serving show as draining, in the listing and the function's count. */
    @Test
    void aReplacedVersionsInstances_areListedAsDraining_untilTheyStop() {
        DeployedFunction v1 = Functions.withScaling("hello", 1, 0, 2, Duration.ofMinutes(1), false);
        dispatcher.deploy(v1);
        Lease old = acquired(call());
        dispatcher.deploy(Functions.nextVersion(v1));
        try {
            // Listed at once; draining once its drain, on a thread of its own, has begun.
            Await.until(WAIT, () -> dispatcher.instances(HELLO).stream().anyMatch(
                    v -> v.state() == InstanceState.DRAINING), "the old version's instance to show as draining");
            assertThat(dispatcher.instances(HELLO)).singleElement().satisfies(v -> {
                assertThat(v.version()).isEqualTo(1);
                assertThat(v.state()).isEqualTo(InstanceState.DRAINING);
            });
            assertThat(dispatcher.instanceCount(HELLO)).isEqualTo(1);
            assertThat(dispatcher.page(Optional.empty(), "", 10).instances()).hasSize(1);
        } finally {
            old.release(true);
        }
        Await.until(WAIT, () -> dispatcher.instances().isEmpty(), "the drained instance gone from the listing");
    }

    private void awaitInstances(int n) {
        Await.until(WAIT, () -> dispatcher.instances(HELLO).stream().filter(v -> v.state() == InstanceState.READY)
                .count() >= n, n + " ready instances");
    }
}
