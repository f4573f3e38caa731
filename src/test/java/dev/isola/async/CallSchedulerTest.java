package dev.isola.async;

import dev.isola.function.FunctionName;
import dev.isola.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** The scheduler's due times, against a clock of the test's. */
class CallSchedulerTest {
    private static final FunctionName FN = FunctionName.of("fn");

    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-07T10:00:00Z"));
    private final List<CallId> ran = new CopyOnWriteArrayList<>();
    private final CallScheduler scheduler = new CallScheduler(now::get, f -> 10, due -> ran.add(due.id()));

    @AfterEach
    void stop() {
        scheduler.close();
    }

    @Test
    void aPause_holdsEveryDueCall_untilItEnds() throws InterruptedException {
        scheduler.pauseUntil(now.get().plusSeconds(5));
        scheduler.start();
        List<CallId> calls = List.of(CallId.random(), CallId.random(), CallId.random());
        calls.forEach(id -> scheduler.add(id, FN, now.get(), now.get()));

        Thread.sleep(300); // the scheduler's turn: it must find the calls due and still start none
        assertThat(ran).isEmpty();

        now.set(now.get().plusSeconds(5));
        Await.until(Duration.ofSeconds(5), () -> ran.size() == calls.size(), "the calls to run once the pause ends");
        assertThat(ran).containsExactlyInAnyOrderElementsOf(calls); // each on a thread of its own
    }
}
