package dev.isola.host;

import dev.isola.testing.Await;
import dev.isola.testing.ThreadTask;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class PidfdExitsTest {
    @Test
    void anExit_completesThatProcessOnly_andAClosedPidfdCountsAsEnded() throws Exception {
        Process first = new ProcessBuilder("sleep", "60").start();
        Process second = new ProcessBuilder("sleep", "60").start();
        try (PidfdExits exits = new PidfdExits(); Pidfd a = Pidfd.open(first.pid()); Pidfd b = Pidfd.open(second.pid())) {
            CompletableFuture<Void> aExited = exits.onExit(a).toCompletableFuture();
            CompletableFuture<Void> bExited = exits.onExit(b).toCompletableFuture();
            assertThat(exits.onExit(a)).as("one future per process").isSameAs(aExited);

            first.destroyForcibly(); // our own child

            aExited.get(5, TimeUnit.SECONDS);
            assertThat(bExited).as("the other still runs").isNotDone();
            b.close();
            bExited.get(5, TimeUnit.SECONDS);
            assertThat(second.isAlive()).as("closing the descriptor does not touch the process").isTrue();
        } finally {
            first.destroyForcibly().waitFor();
            second.destroyForcibly().waitFor();
        }
    }

    @Test
    void aReusedDescriptorNumber_isNotTakenForTheClosedOne() throws Exception {
        Process closedEarly = new ProcessBuilder("sleep", "60").start();
        Process reusing = new ProcessBuilder("sleep", "60").start();
        try (PidfdExits exits = new PidfdExits()) {
            Pidfd early = Pidfd.open(closedEarly.pid());
            exits.onExit(early);
            early.close();
            try (Pidfd later = Pidfd.open(reusing.pid())) { // most likely the number just freed
                CompletableFuture<Void> laterExited = exits.onExit(later).toCompletableFuture();
                closedEarly.destroyForcibly().waitFor();
                // A witness that lives until killed: one that ends by itself may be reaped before its pidfd opens.
                Process witness = new ProcessBuilder("sleep", "60").start();
                try (Pidfd w = Pidfd.open(witness.pid())) {
                    CompletableFuture<Void> witnessed = exits.onExit(w).toCompletableFuture();
                    witness.destroyForcibly().waitFor();
                    witnessed.get(5, TimeUnit.SECONDS); // the waiter has caught up
                }
                assertThat(laterExited).isNotDone();
            }
        } finally {
            closedEarly.destroyForcibly().waitFor();
            reusing.destroyForcibly().waitFor();
        }
    }

    @Test
    void whileNothingExits_theWaiterSleeps_howeverManyItWatches() throws Exception {
        List<Process> sleepers = new ArrayList<>();
        List<Pidfd> held = new ArrayList<>();
        try (PidfdExits exits = new PidfdExits()) {
            for (int i = 0; i < 50; i++) {
                Process sleeper = new ProcessBuilder("sleep", "60").start();
                sleepers.add(sleeper);
                held.add(Pidfd.open(sleeper.pid()));
                exits.onExit(held.getLast());
            }
            AtomicReference<ThreadTask> waiter = new AtomicReference<>();
            Process first = sleepers.getFirst();
            exits.onExit(held.getFirst()).thenRun(() -> waiter.set(ThreadTask.current()));
            first.destroyForcibly();
            Await.until(Duration.ofSeconds(5), () -> waiter.get() != null, "the waiter to see the first exit");

            long before = waiter.get().contextSwitches();
            Thread.sleep(1_000); // a window to count the waiter's wake-ups in, not a wait for a state
            long woke = waiter.get().contextSwitches() - before;

            assertThat(woke).as("a tick every 100 ms woke it ten times a second").isLessThan(3);
            for (int i = 1; i < sleepers.size(); i++) {
                sleepers.get(i).destroyForcibly();
            }
            CompletableFuture.allOf(held.stream().map(p -> exits.onExit(p).toCompletableFuture())
                    .toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
        } finally {
            held.forEach(Pidfd::close);
            for (Process sleeper : sleepers) {
                sleeper.destroyForcibly().waitFor();
            }
        }
    }

    @Test
    void close_endsTheWaiter_andItsDescriptors() throws Exception {
        long descriptorsBefore = openDescriptors();
        long waitersBefore = waiterThreads();
        Process sleeper = new ProcessBuilder("sleep", "60").start();
        try (Pidfd pidfd = Pidfd.open(sleeper.pid())) {
            PidfdExits exits = new PidfdExits();
            CompletableFuture<Void> exited = exits.onExit(pidfd).toCompletableFuture();
            assertThat(waiterThreads()).isEqualTo(waitersBefore + 1);

            exits.close();

            assertThat(waiterThreads()).isEqualTo(waitersBefore);
            assertThat(exited).as("never, once closed").isNotDone();
        } finally {
            sleeper.destroyForcibly().waitFor();
        }
        // At most as many: another test's clean-up in this JVM may close descriptors meanwhile (it did, 105 -> 101).
        assertThat(openDescriptors()).isLessThanOrEqualTo(descriptorsBefore);
    }

    private static long waiterThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().equals("isola-pidfd-exits")).count();
    }

    private static long openDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }


}
