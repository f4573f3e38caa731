package dev.isola.dispatch;

import dev.isola.function.FunctionName;
import dev.isola.metrics.Metrics;
import dev.isola.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code scaling.standby} in the pool: kept, taken by starts, replaced, removed with their version. */
class StandbyTest {
    private static final FunctionName HELLO = FunctionName.of("hello");
    private static final Duration WAIT = Duration.ofSeconds(5);

    private final FakeLauncher launcher = new FakeLauncher();
    private final Dispatcher dispatcher = Dispatcher.create(new Dispatcher.Parts(launcher, System::nanoTime,
            InstantSource.system(), Metrics.NOOP, 16, Duration.ZERO, InstanceEvents.NONE, EndpointProbe.CONNECT,
            Duration.ofSeconds(5), NodeBudget.unlimited()));

    StandbyTest() {
        launcher.offersStandby = true;
    }

    @AfterEach
    void closeAndCheckNothingLeft() {
        dispatcher.close();
        assertThat(launcher.alive.get()).as("instances still running after close").isZero();
        assertThat(launcher.prepared).as("every standby sandbox started or removed")
                .allMatch(p -> p.used.get());
    }

    @Test
    void aStart_takesAStandbySandbox_andAReplacementFollows() {
        dispatcher.deploy(Functions.withStandby("hello", 1, 2, false));
        List<String> standby = awaitStandby(2);

        Lease lease = acquired(dispatcher.acquire(HELLO, EndpointProbe.CONNECT).settled());

        assertThat(lease.coldStart()).isTrue();
        assertThat(standby).as("the instance is a standby sandbox, started").contains(lease.instanceId());
        assertThat(launcher.started).hasSize(1);
        assertThat(launcher.prepared).filteredOn(p -> p.ran).hasSize(1);
        awaitStandby(2);
        assertThat(launcher.prepared).as("two kept, one taken and replaced").hasSize(3);
        lease.release(true);
    }

    @Test
    void aStandbyStartThatFails_isFollowedByAColdStart() {
        dispatcher.deploy(Functions.withStandby("hello", 1, 1, false));
        String standbyId = awaitStandby(1).getFirst();
        launcher.failStandbyStart = true;

        Lease lease = acquired(dispatcher.acquire(HELLO, EndpointProbe.CONNECT).settled());

        assertThat(lease.instanceId()).as("the cold start keeps the instance's id").isEqualTo(standbyId);
        assertThat(launcher.started).hasSize(1);
        lease.release(true);
    }

    @Test
    void removingTheFunction_removesItsStandbySandboxes() {
        dispatcher.deploy(Functions.withStandby("hello", 1, 3, false));
        awaitStandby(3);

        dispatcher.remove(HELLO);

        assertThat(launcher.prepared).hasSize(3).allMatch(FakeLauncher.FakePrepared::removed);
        assertThat(dispatcher.instances()).isEmpty();
    }

    @Test
    void standbySandboxes_areRemovedSideBySide() {
        dispatcher.deploy(Functions.withStandby("hello", 1, 3, false));
        awaitStandby(3);
        launcher.removalGate = new CountDownLatch(3); // runsc takes about a second to remove one

        dispatcher.remove(HELLO);

        assertThat(launcher.prepared).hasSize(3).allMatch(p -> p.removedBesideOthers);
    }

    @Test
    void aNewVersion_replacesTheStandbySandboxesOfTheOld() {
        dispatcher.deploy(Functions.withStandby("hello", 1, 2, false));
        List<String> old = awaitStandby(2);

        dispatcher.deploy(Functions.withStandby("hello", 2, 2, false));

        Await.until(WAIT, () -> dispatcher.instances(HELLO).stream().filter(v -> v.version() == 2).count(),
                n -> n == 2, "two standby sandboxes of version 2");
        Await.until(WAIT, () -> launcher.prepared.stream().filter(p -> old.contains(p.id)).allMatch(p -> p.removed()),
                "the standby sandboxes of version 1 removed");
    }

    @Test
    void singleUse_takesAStandbySandboxForEveryCall() {
        dispatcher.deploy(Functions.withStandby("hello", 1, 1, true));
        for (int i = 0; i < 3; i++) {
            awaitStandby(1);
            Lease lease = acquired(dispatcher.acquire(HELLO, EndpointProbe.CONNECT).settled());
            lease.release(true);
        }
        assertThat(launcher.prepared).filteredOn(p -> p.ran).hasSize(3);
    }

    private List<String> awaitStandby(int count) {
        return Await.until(WAIT, () -> dispatcher.instances(HELLO).stream()
                        .filter(v -> v.state() == InstanceState.STANDBY).map(InstanceView::id).toList(),
                ids -> ids.size() == count, count + " standby sandboxes");
    }

    private static Lease acquired(Acquisition a) {
        assertThat(a).isInstanceOf(Acquisition.Acquired.class);
        return ((Acquisition.Acquired) a).lease();
    }
}
