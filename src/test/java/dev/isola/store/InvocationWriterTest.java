package dev.isola.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.isola.function.FunctionName;
import dev.isola.testing.Await;
import dev.isola.testing.SchedulingPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class InvocationWriterTest {
    private static final FunctionName NAME = FunctionName.of("fn");

    private static InvocationRecord record(int i) {
        return new InvocationRecord(NAME, Instant.EPOCH.plusSeconds(i), i, false, 200, "process", "i" + i);
    }

    @Test
    void flush_manyRecords_writesAllInBoundedBatches() {
        List<List<InvocationRecord>> batches = new CopyOnWriteArrayList<>();
        try (InvocationWriter writer = new InvocationWriter(batches::add, 10_000)) {
            for (int i = 0; i < 1_000; i++) {
                writer.submit(record(i));
            }

            writer.flush();

            assertThat(batches).allSatisfy(b -> assertThat(b).hasSizeBetween(1, InvocationWriter.BATCH_SIZE));
            assertThat(batches.stream().flatMap(List::stream)).hasSize(1_000).startsWith(record(0)).endsWith(record(999));
        }
    }

    @Test
    void theWriter_runsUnderSchedIdle_outOfTheRequestPathsWay() {
        List<Integer> policies = new CopyOnWriteArrayList<>();
        try (InvocationWriter writer = new InvocationWriter(b -> policies.add(SchedulingPolicy.ofCurrentThread()), 10)) {
            writer.submit(record(1));
            writer.flush();
        }
        assertThat(policies).containsExactly(SchedulingPolicy.SCHED_IDLE);
    }

    @Test
    void afterAQuietSpell_aSubmitWakesTheWriter_andIsWrittenWithoutAFlush() {
        List<InvocationRecord> written = new CopyOnWriteArrayList<>();
        Set<Thread> before = writerThreads();
        try (InvocationWriter writer = new InvocationWriter(written::addAll, 100)) {
            Thread thread = writerThreads().stream().filter(t -> !before.contains(t)).findFirst().orElseThrow();
            writer.submit(record(1));
            awaitSize(written, 1);
            // The quiet spell: with the queue empty the writer parks without a timeout (WAITING; a batch being
            // gathered would be TIMED_WAITING). Only a submit can wake it now.
            Await.until(Duration.ofSeconds(5), thread::getState, s -> s == Thread.State.WAITING,
                    "the writer to sleep without a timeout");

            writer.submit(record(2));

            awaitSize(written, 2);
            assertThat(written).containsExactly(record(1), record(2));
        }
    }

    /** The platform's writer threads alive now, by the name InvocationWriter gives them. */
    private static Set<Thread> writerThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("isola-store-writer"))
                .collect(Collectors.toSet());
    }

    private static void awaitSize(List<?> list, int size) {
        Await.until(Duration.ofSeconds(5), list::size, n -> n >= size, size + " records written");
        assertThat(list).hasSize(size);
    }

    @Test
    void submit_queueFull_dropsAndCounts() throws Exception {
        HeldSink sink = new HeldSink();
        try (InvocationWriter writer = new InvocationWriter(sink, 4)) {
            writer.submit(record(0));
            Thread flusher = Thread.ofVirtual().start(writer::flush); // makes the writer enter the sink now
            sink.entered.await();

            for (int i = 1; i <= 10; i++) {
                writer.submit(record(i));
            }

            assertThat(writer.dropped()).isEqualTo(6);
            sink.release.countDown();
            flusher.join();
            writer.flush();
            assertThat(sink.written).containsExactly(record(0), record(1), record(2), record(3), record(4));
        }
    }

    @Test
    void aBoundedFlush_givesUpOnAWriterThatIsBehind_andTheRecordsStillGoIn() throws Exception {
        HeldSink sink = new HeldSink();
        try (InvocationWriter writer = new InvocationWriter(sink, 4)) {
            writer.submit(record(0));
            Thread flusher = Thread.ofVirtual().start(writer::flush);
            sink.entered.await(); // the writer is stuck in a write, as one starved of CPU would be
            writer.submit(record(1));

            long began = System.nanoTime();
            assertThat(writer.flush(Duration.ofMillis(300))).isFalse();
            assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(3));

            sink.release.countDown();
            flusher.join();
            assertThat(writer.flush(Duration.ofSeconds(30))).isTrue();
            assertThat(sink.written).containsExactly(record(0), record(1));
        }
    }

    @Test
    void write_sinkFails_countsBatchAsDroppedAndKeepsWriting() {
        AtomicBoolean fail = new AtomicBoolean(true);
        List<InvocationRecord> written = new CopyOnWriteArrayList<>();
        try (InvocationWriter writer = new InvocationWriter(batch -> {
            if (fail.getAndSet(false)) {
                throw new StoreException("Failed to write: disk full");
            }
            written.addAll(batch);
        }, 100)) {
            writer.submit(record(1));
            writer.submit(record(2));
            writer.flush();
            writer.submit(record(3));
            writer.flush();

            assertThat(writer.dropped()).isEqualTo(2);
            assertThat(written).containsExactly(record(3));
        }
    }

    @Test
    void close_thenSubmitAndFlush_dropsWithoutBlocking() {
        List<InvocationRecord> written = new CopyOnWriteArrayList<>();
        InvocationWriter writer = new InvocationWriter(written::addAll, 100);
        writer.submit(record(1));
        writer.close();

        writer.submit(record(2));
        writer.flush();

        assertThat(written).containsExactly(record(1));
        assertThat(writer.dropped()).isEqualTo(1);
    }

    /** Holds the writer in its first write until released, as a writer starved of CPU would be held. */
    private static final class HeldSink implements Consumer<List<InvocationRecord>> {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final List<InvocationRecord> written = new CopyOnWriteArrayList<>();

        @Override
        public void accept(List<InvocationRecord> batch) {
            entered.countDown();
            awaitQuietly(release);
            written.addAll(batch);
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
