package dev.isola.sandbox.spi;

import dev.isola.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

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
    void fileIsTruncated_onceReadPastTheThreshold_andLaterLinesStillArrive() throws IOException {
        Path file = dir.resolve("c");
        try (Console console = reader.open(file, lines::add);
             FileOutputStream out = appending(console)) {
            byte[] line = ("z".repeat(1023) + "\n").getBytes(StandardCharsets.UTF_8);
            for (long written = 0; written <= Console.TRUNCATE_AT_BYTES; written += line.length) {
                out.write(line);
            }
            console.drain();
            assertThat(Files.size(file)).isZero();
            out.write("later\n".getBytes(StandardCharsets.UTF_8));
            console.drain();
        }
        assertThat(lines).hasSize((int) (Console.TRUNCATE_AT_BYTES / 1024) + 2).endsWith("later");
    }

    @Test
    void backlogPastTheLimit_isDroppedWithANote() throws IOException {
        Path file = dir.resolve("c");
        reader.close(); // only drain() reads: the backlog builds up as when the instance outruns the reader
        try (Console console = reader.open(file, lines::add);
             FileOutputStream out = appending(console)) {
            byte[] chunk = new byte[1024 * 1024];
            for (int i = 0; i <= Console.MAX_BACKLOG_BYTES / chunk.length; i++) {
                out.write(chunk);
            }
            console.drain();
            assertThat(Files.size(file)).isZero();
            out.write("fresh\n".getBytes(StandardCharsets.UTF_8));
            console.drain();
        }
        assertThat(lines).hasSize(2);
        assertThat(lines.getFirst()).startsWith("[isola: 5 MiB of output dropped");
        assertThat(lines.getLast()).isEqualTo("fresh");
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

    private static FileOutputStream appending(Console console) throws IOException {
        return new FileOutputStream(console.redirect().file(), true);
    }
}
