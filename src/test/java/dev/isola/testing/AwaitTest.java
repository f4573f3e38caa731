package dev.isola.testing;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AwaitTest {
    @Test
    void until_stateComes_returnsTheValueThatShowedIt() {
        AtomicInteger polls = new AtomicInteger();

        int seen = Await.until(Duration.ofSeconds(5), polls::incrementAndGet, n -> n >= 3, "three polls");

        assertThat(seen).isEqualTo(3);
    }

    @Test
    void until_stateNeverComes_failsNamingWhatAndTheLastValue() {
        assertThatThrownBy(() -> Await.until(Duration.ofMillis(20), () -> "still busy", "idle"::equals,
                "the thing to go idle"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("waiting for the thing to go idle")
                .hasMessageContaining("last seen: still busy");
    }

    @Test
    void until_probeThrows_endsTheWaitWithThatFailure() {
        assertThatThrownBy(() -> Await.until(Duration.ofSeconds(5), () -> {
            throw new java.io.IOException("no such file");
        }, "a file"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no such file");
    }
}
