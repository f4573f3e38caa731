package dev.isola.host;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

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
}
