package dev.isola.host;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class ProcessStopTest {
    @Test
    void aProcessThatIgnoresSigterm_isKilledAfterTheGrace() throws Exception {
        Process stubborn = new ProcessBuilder("sh", "-c", "trap '' TERM; echo ready; sleep 60")
                .redirectErrorStream(true).start();
        stubborn.getInputStream().read(); // "ready": the trap is set

        boolean exited = ProcessStop.of(stubborn).term(Duration.ofMillis(200)).run(Duration.ofSeconds(5));

        assertThat(exited).isTrue();
        assertThat(stubborn.isAlive()).isFalse();
    }

    @Test
    void theStepsStop_onceTheProcessHasExited() throws Exception {
        Process polite = new ProcessBuilder("sleep", "60").start();
        AtomicInteger laterSteps = new AtomicInteger();

        ProcessStop.of(polite).term(Duration.ofSeconds(5)).then(laterSteps::incrementAndGet, Duration.ofSeconds(5))
                .run(Duration.ofSeconds(5));

        assertThat(polite.isAlive()).isFalse();
        assertThat(laterSteps).as("SIGTERM sufficed").hasValue(0);
    }

    @Test
    void anInterruptedCaller_stillStopsTheProcess_andKeepsItsInterrupt() throws Exception {
        Process child = new ProcessBuilder("sleep", "60").start();
        Thread.currentThread().interrupt();
        try {
            boolean exited = ProcessStop.of(child).term(Duration.ofSeconds(5)).run(Duration.ofSeconds(5));

            assertThat(exited).isTrue();
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }
}
