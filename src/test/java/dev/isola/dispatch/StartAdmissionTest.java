package dev.isola.dispatch;

import dev.isola.function.Limits;
import dev.isola.testing.Await;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Admission of starts by CPU pressure, with the clock and the kernel's stall counter moved by hand. */
class StartAdmissionTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    /** Longer than any test's clock moves. */
    private static final Duration FOREVER = Duration.ofDays(1);
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final AtomicLong stallMicros = new AtomicLong();

    private StartAdmission admission(int alwaysAdmitted) {
        return new StartAdmission(alwaysAdmitted, Optional.of(stallMicros::get), nanos::get);
    }

    /** The next window: every runnable task got a CPU ({@code stalled} false) or some waited all along. */
    private void window(boolean stalled) {
        long window = TimeUnit.MILLISECONDS.toNanos(StartAdmission.WINDOW_MILLIS * 2);
        nanos.addAndGet(window);
        if (stalled) {
            stallMicros.addAndGet(TimeUnit.NANOSECONDS.toMicros(window));
        }
    }

    private static Thread admitting(StartAdmission admission, String name, List<String> admitted) {
        return Thread.ofVirtual().start(() -> {
            try {
                admission.admit(FOREVER);
                admitted.add(name);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /** A start that waited its whole start timeout is not admitted, and leaves the queue to the next. */
    @Test
    void aStartNotAdmittedWithinItsTimeout_givesUp_andLeavesTheQueue() throws Exception {
        StartAdmission admission = admission(1);
        admission.admit(FOREVER); // the core's own, busy all along
        window(true);
        List<Boolean> outcome = new CopyOnWriteArrayList<>();
        Thread waiter = Thread.ofVirtual().start(() -> {
            try {
                outcome.add(admission.admit(Duration.ofMillis(100)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Await.until(WAIT, () -> admission.waiting() == 1, "the start to wait");
        for (int i = 0; i < 10; i++) {
            window(true); // 200 ms of a saturated CPU
        }

        waiter.join(WAIT);
        assertThat(outcome).containsExactly(false);
        assertThat(admission.waiting()).isZero();
    }

    @Test
    void onePerCore_isAdmittedHoweverBusyTheCpu() throws InterruptedException {
        StartAdmission admission = admission(2);
        window(true);

        admission.admit(FOREVER);
        admission.admit(FOREVER);

        assertThat(admission.waiting()).isZero();
    }

    @Test
    void beyondThat_aStartIsAdmittedWhileTheCpuHasRoom() throws InterruptedException {
        StartAdmission admission = admission(1);
        admission.admit(FOREVER);
        window(false);

        admission.admit(FOREVER);

        assertThat(admission.waiting()).isZero();
    }

    @Test
    void whileTheCpuIsSaturated_aStartWaitsUntilAnotherIsReady() throws InterruptedException {
        StartAdmission admission = admission(1);
        admission.admit(FOREVER);
        window(true);
        List<String> admitted = new CopyOnWriteArrayList<>();

        Thread waiter = admitting(admission, "second", admitted);
        Await.until(WAIT, () -> admission.waiting() == 1, "the admission to change");
        Thread.sleep(StartAdmission.WINDOW_MILLIS * 5); // several re-checks of a saturated CPU
        assertThat(admitted).isEmpty();

        admission.finished();
        waiter.join(5_000);
        assertThat(admitted).containsExactly("second");
    }

    /**
     * A burst that arrives at once on an idle host: beyond the cores, one start per reading of the pressure, each
     * reading of a window after the last admission (before, the one idle reading let the whole burst in).
     */
    @Test
    void aBurstArrivingAtOnce_isAdmittedOneStartPerFreshReadingBeyondTheCores() throws InterruptedException {
        StartAdmission admission = admission(1);
        window(false);
        List<String> admitted = new CopyOnWriteArrayList<>();
        admission.admit(FOREVER); // the core's own
        List<Thread> burst = List.of(admitting(admission, "a", admitted), admitting(admission, "b", admitted),
                admitting(admission, "c", admitted));

        Await.until(WAIT, () -> admitted.size() == 1 && admission.waiting() == 2, "one admitted on the idle reading");
        Thread.sleep(StartAdmission.WINDOW_MILLIS * 5); // several re-checks within the same window
        assertThat(admitted).hasSize(1);

        window(false);
        Await.until(WAIT, () -> admitted.size() == 2, "the next one, on the next idle window");
        window(true);
        Thread.sleep(StartAdmission.WINDOW_MILLIS * 5);
        assertThat(admitted).as("not while the CPU is saturated").hasSize(2);

        window(false);
        for (Thread t : burst) {
            t.join(5_000);
        }
        assertThat(admitted).hasSize(3);
    }

    @Test
    void theFirstWaiting_isAdmittedWhenThePressureDrops() throws InterruptedException {
        StartAdmission admission = admission(1);
        admission.admit(FOREVER);
        window(true);
        List<String> admitted = new CopyOnWriteArrayList<>();
        Thread waiter = admitting(admission, "second", admitted);
        Await.until(WAIT, () -> admission.waiting() == 1, "the admission to change");

        window(false);

        waiter.join(5_000);
        assertThat(admitted).containsExactly("second");
    }

    @Test
    void waitingStarts_areAdmittedInTheOrderTheyCame() throws InterruptedException {
        StartAdmission admission = admission(1);
        admission.admit(FOREVER);
        window(true);
        List<String> admitted = new CopyOnWriteArrayList<>();
        List<Thread> waiters = new java.util.ArrayList<>();
        for (String name : List.of("a", "b", "c")) {
            waiters.add(admitting(admission, name, admitted));
            int queued = waiters.size();
            Await.until(WAIT, () -> admission.waiting() == queued, "the admission to change");
        }

        for (int i = 1; i <= 3; i++) {
            admission.finished();
            int done = i;
            Await.until(WAIT, () -> admitted.size() == done, "the admission to change");
        }

        for (Thread w : waiters) {
            w.join(5_000);
        }
        assertThat(admitted).containsExactly("a", "b", "c");
    }

    @Test
    void setting_offAdmitsEveryStart() throws InterruptedException {
        StartAdmission off = StartAdmission.forHost("off", nanos::get);
        for (int i = 0; i < 100; i++) {
            off.admit(FOREVER);
        }
        assertThat(off.waiting()).isZero();
    }

    @Test
    void withoutPressureInformation_everyStartIsAdmitted() throws InterruptedException {
        StartAdmission admission = new StartAdmission(1, Optional.empty(), nanos::get);

        for (int i = 0; i < 10; i++) {
            admission.admit(FOREVER);
        }

        assertThat(admission.waiting()).isZero();
    }

    /** A start waits for its turn as long as its function's calls may wait, and never less than the start timeout. */
    @Test
    void aStartsTurn_isWaitedForAsLongAsItsCallsMayWait() {
        Duration startTimeout = Duration.ofSeconds(60);
        assertThat(SandboxLauncher.admissionWait(startTimeout, new Limits(64 << 20, 1, Duration.ofMinutes(45))))
                .isEqualTo(Duration.ofMinutes(45));
        assertThat(SandboxLauncher.admissionWait(startTimeout, new Limits(64 << 20, 1, Duration.ofSeconds(30))))
                .isEqualTo(startTimeout);
    }
}
