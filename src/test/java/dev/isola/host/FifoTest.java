package dev.isola.host;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The exec-FIFO hand-shake of OCI runtimes, against shell peers on a real named pipe. */
class FifoTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    private Path fifo;

    @BeforeEach
    void makeFifo() throws Exception {
        fifo = dir.resolve("exec.fifo");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
    }

    @Test
    void receive_takesTheByteItsWriterSends() throws Exception {
        Process writer = shell("printf 0 > " + fifo + "; sleep 60");
        try (Pidfd pidfd = Pidfd.open(writer.pid())) {
            assertThat(Fifo.receive(fifo, pidfd, TIMEOUT)).isTrue();
        } finally {
            writer.destroyForcibly().waitFor();
        }
    }

    @Test
    void receive_isFalse_whenTheWriterDiesWithoutSending() throws Exception {
        Process writer = shell("sleep 0.2");
        try (Pidfd pidfd = Pidfd.open(writer.pid())) {
            assertThat(Fifo.receive(fifo, pidfd, TIMEOUT)).isFalse();
        } finally {
            writer.destroyForcibly().waitFor();
        }
    }

    @Test
    void receive_givesUpAtItsDeadline() throws Exception {
        Process silent = shell("sleep 60");
        try (Pidfd pidfd = Pidfd.open(silent.pid())) {
            assertThatThrownBy(() -> Fifo.receive(fifo, pidfd, Duration.ofMillis(100)))
                    .isInstanceOf(HostException.class).hasMessageContaining("in time");
        } finally {
            silent.destroyForcibly().waitFor();
        }
    }

    @Test
    void receive_onEveryCarrier_letsOtherVirtualThreadsRunMeanwhile() throws Exception {
        int carriers = Runtime.getRuntime().availableProcessors(); // the default scheduler's parallelism
        Process silent = shell("sleep 60");
        List<Thread> receivers = new ArrayList<>();
        CountDownLatch waiting = new CountDownLatch(carriers);
        try (Pidfd pidfd = Pidfd.open(silent.pid())) {
            for (int i = 0; i < carriers; i++) {
                Path own = dir.resolve("silent-" + i);
                assertThat(new ProcessBuilder("mkfifo", own.toString()).start().waitFor()).isZero();
                receivers.add(Thread.ofVirtual().start(() -> {
                    waiting.countDown();
                    try {
                        Fifo.receive(own, pidfd, Duration.ofSeconds(3));
                    } catch (HostException | InterruptedException e) {
                        // the deadline, or the interrupt that ends the test
                    }
                }));
            }
            assertThat(waiting.await(5, TimeUnit.SECONDS)).isTrue();
            long begun = System.nanoTime();
            Thread other = Thread.ofVirtual().start(() -> { });
            other.join(Duration.ofSeconds(2));
            assertThat(other.isAlive()).as("another virtual thread got a carrier while every receiver waited")
                    .isFalse();
            assertThat(Duration.ofNanos(System.nanoTime() - begun)).isLessThan(Duration.ofSeconds(1));
        } finally {
            receivers.forEach(Thread::interrupt);
            for (Thread t : receivers) {
                t.join();
            }
            silent.destroyForcibly().waitFor();
        }
    }

    @Test
    void send_deliversOneByte_onceTheReaderHasThePipeOpen() throws Exception {
        Path received = dir.resolve("received");
        Process reader = shell("sleep 0.2; head -c 1 " + fifo + " > " + received);
        try (Pidfd pidfd = Pidfd.open(reader.pid())) {
            assertThat(Fifo.send(fifo, pidfd, TIMEOUT)).isTrue();
            assertThat(reader.waitFor()).isZero();
        } finally {
            reader.destroyForcibly().waitFor();
        }
        assertThat(Files.readAllBytes(received)).containsExactly(0);
    }

    @Test
    void send_isFalse_whenTheReaderDiesWithoutOpeningThePipe() throws Exception {
        Process reader = shell("sleep 0.2");
        try (Pidfd pidfd = Pidfd.open(reader.pid())) {
            assertThat(Fifo.send(fifo, pidfd, TIMEOUT)).isFalse();
        } finally {
            reader.destroyForcibly().waitFor();
        }
    }

    private static Process shell(String script) throws Exception {
        return new ProcessBuilder("sh", "-c", script).start();
    }
}
