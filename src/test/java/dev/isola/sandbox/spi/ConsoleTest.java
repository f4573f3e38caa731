package dev.isola.sandbox.spi;

import dev.isola.testing.Await;
import dev.isola.testing.ThreadTask;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** Consoles as sandboxes use them: a file appended to by another writer, read back as bounded lines. */
class ConsoleTest {
    @TempDir
    Path dir;
    private ConsoleReader reader;
    private final List<String> lines = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startReader() {
        reader = ConsoleReader.start();
    }

    @AfterEach
    void stopReader() {
        reader.close();
    }

    @Test
    void lines_reachTheSinkWithoutDrain_crlfStripped_lastLineOnDrain() throws IOException {
        try (Console console = reader.open(dir.resolve("c"), lines::add);
             FileOutputStream out = appending(console)) {
            out.write("one\r\ntwo\n".getBytes(StandardCharsets.UTF_8));
            Await.until(Duration.ofSeconds(5), () -> lines.size() == 2, "the reader to deliver two lines");
            out.write("no newline".getBytes(StandardCharsets.UTF_8));
            console.drain();
        }
        assertThat(lines).containsExactly("one", "two", "no newline");
    }

    @Test
    void quietConsoles_letTheReaderSleep_andANewLineStillArrives() throws Exception {
        AtomicReference<ThreadTask> readerThread = new AtomicReference<>();
        try (Console console = reader.open(dir.resolve("c"), line -> {
                 lines.add(line);
                 readerThread.compareAndSet(null, ThreadTask.current());
             });
             Console quiet = reader.open(dir.resolve("q"), lines::add);
             FileOutputStream out = appending(console)) {
            out.write("hello\n".getBytes(StandardCharsets.UTF_8));
            Await.until(Duration.ofSeconds(5), () -> readerThread.get() != null, "the reader to deliver a line");
            long before = readerThread.get().contextSwitches();
            Thread.sleep(1_000); // a window to count the reader's wake-ups in, not a wait for a state
            long woke = readerThread.get().contextSwitches() - before;

            // A tick at a time it woke a hundred times a second; polled with back-off, five times; told, not once.
            assertThat(woke).isLessThan(3);
            out.write("later\n".getBytes(StandardCharsets.UTF_8));
            Await.until(Duration.ofSeconds(5), () -> lines.contains("later"), "a line after the quiet second");
        }
    }

    @Test
    void diskAllocatedPastTheEnd_isGivenBackByTheReader_withinSecondsOfTheWrite() throws Exception {
        Path file = dir.resolve("c");
        try (Console console = reader.open(file, lines::add)) {
            Process fallocate = new ProcessBuilder("fallocate", "--keep-size", "--length",
                    Long.toString(16L << 20), file.toString()).start();
            assertThat(fallocate.waitFor()).isZero();

            // Never the 30 s sweep: the write is seen, and the disk is checked once its 2 s are due.
            Await.until(Duration.ofSeconds(10), () -> lines.stream().anyMatch(l -> l.contains("outside the end")),
                    "the reader to give the disk back");
            assertThat(allocatedBytes(file)).isLessThanOrEqualTo(Console.RECLAIM_SLACK_BYTES);
        }
    }

    @Test
    void consolesTheKernelDoesNotWatch_arePolled() throws Exception {
        try (ConsoleReader polling = ConsoleReader.start(false);
             Console console = polling.open(dir.resolve("c"), lines::add);
             FileOutputStream out = appending(console)) {
            out.write("polled\n".getBytes(StandardCharsets.UTF_8));
            Await.until(Duration.ofSeconds(5), () -> lines.contains("polled"), "the line without an event");
        }
    }



    @Test
    void overlongLine_isCutAtTheCap_andTheNextLineIsWhole() throws IOException {
        try (Console console = reader.open(dir.resolve("c"), lines::add);
             FileOutputStream out = appending(console)) {
            out.write("y".repeat(LineCutter.MAX_LINE_BYTES + 1000).getBytes(StandardCharsets.UTF_8));
            out.write("\nafter\n".getBytes(StandardCharsets.UTF_8));
            console.drain();
        }
        assertThat(lines).containsExactly(
                "y".repeat(LineCutter.MAX_LINE_BYTES) + " [line cut: 1000 more bytes dropped]", "after");
    }

    @Test
    void readOutput_leavesTheDisk_andLaterLinesStillArrive() throws IOException, InterruptedException {
        Path file = dir.resolve("c");
        try (Console console = reader.open(file, lines::add);
             FileOutputStream out = appending(console)) {
            byte[] line = ("z".repeat(1023) + "\n").getBytes(StandardCharsets.UTF_8);
            for (long written = 0; written <= 4 * Console.FREE_AT_BYTES; written += line.length) {
                out.write(line);
            }
            console.drain();
            assertThat(allocatedBytes(file)).isLessThan(Console.FREE_AT_BYTES);
            out.write("later\n".getBytes(StandardCharsets.UTF_8));
            console.drain();
        }
        assertThat(lines).hasSize((int) (4 * Console.FREE_AT_BYTES / 1024) + 2).endsWith("later");
    }

    @Test
    void aWriterAppendingWhileTheReaderFreesTheFile_losesNoByte() throws Exception {
        int count = 150_000; // 1 MB in single-line writes: the reader frees the file's head about four times meanwhile
        List<String> got = Collections.synchronizedList(new ArrayList<>());
        try (Console console = reader.open(dir.resolve("c"), got::add)) {
            Thread writer = Thread.ofPlatform().start(() -> {
                try (FileOutputStream out = appending(console)) {
                    for (int i = 0; i < count; i++) {
                        out.write("%06d%n".formatted(i).getBytes(StandardCharsets.UTF_8));
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            writer.join();
            console.drain();
            assertThat(Files.size(console.file())).as("the file is never cut")
                    .isEqualTo(7L * count);
        }
        assertThat(got).isEqualTo(IntStream.range(0, count).mapToObj("%06d"::formatted).toList());
    }

    @Test
    void backlogPastTheLimit_isDroppedWithANote() throws IOException, InterruptedException {
        Path file = dir.resolve("c");
        reader.close(); // only drain() reads: the backlog builds up as when the instance outruns the reader
        try (Console console = reader.open(file, lines::add);
             FileOutputStream out = appending(console)) {
            byte[] chunk = new byte[1024 * 1024];
            for (int i = 0; i <= Console.MAX_BACKLOG_BYTES / chunk.length; i++) {
                out.write(chunk);
            }
            console.drain();
            assertThat(allocatedBytes(file)).isLessThan(Console.FREE_AT_BYTES);
            out.write("fresh\n".getBytes(StandardCharsets.UTF_8));
            console.drain();
        }
        assertThat(lines).hasSize(2);
        assertThat(lines.getFirst()).startsWith("[isola: 5 MiB of output dropped");
        assertThat(lines.getLast()).isEqualTo("fresh");
    }

    @Test
    void diskTakenOutsideTheOutput_isGivenBack_andLaterLinesStillArrive() throws Exception {
        Path file = dir.resolve("c");
        try (Console console = reader.open(file, lines::add);
             FileOutputStream out = appending(console)) {
            byte[] line = ("z".repeat(1023) + "\n").getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < 2048; i++) { // 2 MiB, read and freed
                out.write(line);
            }
            console.drain();
            long size = Files.size(file);
            // What a sandbox holding its stdout can do without moving the size: write over what was read (after
            // clearing O_APPEND), and allocate past the end.
            try (FileChannel over = FileChannel.open(file, StandardOpenOption.WRITE)) {
                over.write(ByteBuffer.wrap(new byte[(int) size - 4096]), 0);
            }
            Process fallocate = new ProcessBuilder("fallocate", "--keep-size", "--offset", Long.toString(size),
                    "--length", Long.toString(16L << 20), file.toString()).start();
            assertThat(fallocate.waitFor()).isZero();
            assertThat(allocatedBytes(file)).isGreaterThan(16L << 20);
            assertThat(Files.size(file)).isEqualTo(size);

            assertThat(console.reclaim()).isGreaterThan(16L << 20);
            assertThat(allocatedBytes(file)).isLessThanOrEqualTo(Console.RECLAIM_SLACK_BYTES);
            assertThat(console.reclaim()).as("nothing more to give back").isZero();
            out.write("later\n".getBytes(StandardCharsets.UTF_8));
            console.drain();
        }
        assertThat(lines).anyMatch(l -> l.startsWith("[isola: the instance wrote 17 MiB to its console outside"));
        assertThat(lines.getLast()).isEqualTo("later");
    }

    @Test
    void thousandsOfConsoles_shareOneThread() throws IOException {
        int threadsBefore = Thread.activeCount();
        List<Console> consoles = new ArrayList<>();
        try {
            for (int i = 0; i < 2000; i++) {
                consoles.add(reader.open(dir.resolve("c" + i), lines::add));
            }
            try (FileOutputStream out = appending(consoles.getLast())) {
                out.write("from the last\n".getBytes(StandardCharsets.UTF_8));
            }
            Await.until(Duration.ofSeconds(10), () -> lines.contains("from the last"), "the last console's line");
            assertThat(reader.size()).isEqualTo(2000);
            assertThat(Thread.activeCount()).isLessThanOrEqualTo(threadsBefore + 1);
        } finally {
            consoles.forEach(Console::close);
        }
        assertThat(reader.size()).isZero();
    }

    /** The disk space the file takes (its blocks), not its size. */
    private static long allocatedBytes(Path file) throws IOException, InterruptedException {
        Process stat = new ProcessBuilder("stat", "--format=%b %B", file.toString()).start();
        String[] blocks = new String(stat.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip().split(" ");
        assertThat(stat.waitFor()).isZero();
        return Long.parseLong(blocks[0]) * Long.parseLong(blocks[1]);
    }

    private static FileOutputStream appending(Console console) throws IOException {
        return new FileOutputStream(console.file().toFile(), true);
    }
}
