package dev.isola.host;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PidfdTest {
    @Test
    void aRunningProcess_isAlive_untilStoppedThroughItsPidfd() throws Exception {
        Process child = new ProcessBuilder("sleep", "60").start();
        try (Pidfd pidfd = Pidfd.open(child.pid())) {
            assertThat(pidfd.isAlive()).isTrue();

            boolean exited = ProcessStop.of(pidfd).term(Duration.ofSeconds(5)).run(Duration.ofSeconds(5));

            assertThat(exited).isTrue();
            assertThat(pidfd.isAlive()).isFalse();
            assertThat(pidfd.awaitExit(Duration.ZERO)).isTrue();
        } finally {
            child.destroyForcibly().waitFor();
        }
        assertThat(child.exitValue()).as("SIGTERM, not SIGKILL").isEqualTo(143);
    }

    @Test
    void aProcessThatIgnoresSigterm_isKilledAfterTheGrace() throws Exception {
        Process stubborn = new ProcessBuilder("sh", "-c", "trap '' TERM; echo ready; sleep 60")
                .redirectErrorStream(true).start();
        stubborn.getInputStream().read(); // "ready": the trap is set
        try (Pidfd pidfd = Pidfd.open(stubborn.pid())) {
            boolean exited = ProcessStop.of(pidfd).term(Duration.ofMillis(200)).run(Duration.ofSeconds(5));

            assertThat(exited).isTrue();
            assertThat(pidfd.awaitExit(Duration.ofSeconds(1))).isTrue();
        } finally {
            stubborn.destroyForcibly().waitFor();
        }
    }

    @Test
    void aWaitForAnExit_endsAtItsDeadline() throws Exception {
        Process child = new ProcessBuilder("sleep", "60").start();
        try (Pidfd pidfd = Pidfd.open(child.pid())) {
            assertThat(pidfd.awaitExit(Duration.ofMillis(50))).isFalse();
        } finally {
            child.destroyForcibly().waitFor();
        }
    }

    @Test
    void aProcessThatIsGone_cannotBeOpened() throws Exception {
        Process done = new ProcessBuilder("true").start();
        done.waitFor();

        assertThatThrownBy(() -> Pidfd.open(done.pid())).isInstanceOf(HostException.class)
                .hasMessageContaining("does not exist");
    }

    @Test
    void aClosedPidfd_neitherSignalsNorCountsAsAlive() throws Exception {
        Process child = new ProcessBuilder("sleep", "60").start();
        try {
            Pidfd pidfd = Pidfd.open(child.pid());
            pidfd.close();

            pidfd.signal(Pidfd.SIGKILL);

            assertThat(pidfd.isAlive()).isFalse();
            assertThat(child.isAlive()).isTrue();
        } finally {
            child.destroyForcibly().waitFor();
        }
    }
}
