package dev.isola.logs;

import dev.isola.IsolaException;
import dev.isola.function.FunctionName;
import dev.isola.sandbox.spi.OutputSink;
import dev.isola.testing.Await;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a function's log keeps and what its followers see. */
class FunctionLogsTest {
    private static final FunctionName HELLO = FunctionName.of("hello");
    private static final Duration NOW = Duration.ZERO;

    @TempDir
    Path dir;

    @Test
    void lines_areKeptPrefixedWithTheInstance_andRotatePastTheLimit() {
        FunctionLogs logs = FunctionLogs.create(dir, 100);
        OutputSink sink = logs.sink(HELLO, "hello.1");
        for (int i = 0; i < 20; i++) {
            sink.line("line " + i);
        }

        List<String> tail = logs.tail(HELLO, 100);
        assertThat(tail).last().asString().matches("\\d{4}-\\d\\d-\\d\\dT\\S+Z hello\\.1 line 19");
        assertThat(tail.size()).isLessThan(20); // the older lines went with the rotation
        assertThat(dir.resolve("hello.log.1")).exists();
    }

    @Test
    void aLineWithCarriageReturns_staysOneLine_readAndFollowed() throws Exception {
        FunctionLogs logs = FunctionLogs.create(dir, 1 << 20);
        OutputSink sink = logs.sink(HELLO, "hello.1");
        try (LogFollower follower = logs.follow(HELLO)) {
            sink.line("10%\r20%\r30%");

            assertThat(follower.next(Duration.ofSeconds(5))).hasValueSatisfying(l -> assertThat(l)
                    .endsWith(" hello.1 10% 20% 30%").doesNotContain("\r"));
        }
        assertThat(logs.tail(HELLO, 10)).singleElement().asString().endsWith(" hello.1 10% 20% 30%");
    }

    @Test
    void escapeSequencesInAFunctionsOutput_areWrittenAsText_notPassedToTheOperatorsTerminal() {
        FunctionLogs logs = FunctionLogs.create(dir, 1 << 20);
        logs.sink(HELLO, "hello.1").line("ok\u001b[2K\u001b[1G2026-01-01T00:00:00Z other.1 forged\u009b\u0007\tend");

        assertThat(logs.tail(HELLO, 10)).singleElement().asString()
                .endsWith(" hello.1 ok\\x1b[2K\\x1b[1G2026-01-01T00:00:00Z other.1 forged\\x9b\\x07\tend")
                .doesNotContain("\u001b");
    }

    @Test
    void tail_since_keepsOnlyLinesWrittenThen_andOlderUntimedLinesAsOlder() throws Exception {
        java.nio.file.Files.writeString(dir.resolve("hello.log"), "hello.0 from an older Isola\n");
        FunctionLogs logs = FunctionLogs.create(dir, 1 << 20);
        OutputSink sink = logs.sink(HELLO, "hello.1");
        sink.line("early");
        java.time.Instant between = java.time.Instant.now();
        Await.until(Duration.ofSeconds(5), () -> java.time.Instant.now().isAfter(between), "the clock to move on");
        sink.line("late");

        assertThat(logs.tail(HELLO, 10)).hasSize(3);
        assertThat(logs.tail(HELLO, 10, Optional.of(between))).singleElement().asString().endsWith(" hello.1 late");
    }

    @Test
    void aFollower_seesNewLinesWithTheirTime_andNothingAfterItCloses() throws Exception {
        FunctionLogs logs = FunctionLogs.create(dir, 1 << 20);
        OutputSink sink = logs.sink(HELLO, "hello.1");
        sink.line("before");
        Optional<String> first;
        try (LogFollower follower = logs.follow(HELLO)) {
            sink.line("after");
            first = follower.next(Duration.ofSeconds(5));
            assertThat(follower.next(NOW)).isEmpty();
        }
        assertThat(first).hasValueSatisfying(l -> assertThat(l).matches("\\d{4}-\\d\\d-\\d\\dT\\S+ hello\\.1 after"));
        try (LogFollower again = logs.follow(HELLO)) {
            assertThat(again.next(NOW)).isEmpty();
        }
    }

    @Test
    void aSlowFollower_losesLinesCounted_insteadOfBufferingThem() throws Exception {
        FunctionLogs logs = FunctionLogs.create(dir, 1 << 20);
        OutputSink sink = logs.sink(HELLO, "hello.1");
        try (LogFollower follower = logs.follow(HELLO)) {
            for (int i = 0; i < LogFollower.CAPACITY + 10; i++) {
                sink.line("l" + i);
            }
            assertThat(follower.next(NOW)).hasValue("[isola: 10 lines dropped: the follower reads slower than the "
                    + "function prints]");
            assertThat(follower.next(NOW)).hasValueSatisfying(l -> assertThat(l).endsWith(" hello.1 l0"));
        }
    }

    @Test
    void aSlowFollower_ofLongLines_holdsABoundedNumberOfCharacters() throws Exception {
        FunctionLogs logs = FunctionLogs.create(dir, 1 << 20);
        OutputSink sink = logs.sink(HELLO, "hello.1");
        String longLine = "\u00e9".repeat(10_000); // outside Latin-1's one byte a character, too
        try (LogFollower follower = logs.follow(HELLO)) {
            for (int i = 0; i < 100; i++) {
                sink.line(longLine);
            }
            int kept = LogFollower.MAX_CHARS / 10_000;
            assertThat(follower.next(NOW)).hasValueSatisfying(l -> assertThat(l).startsWith("[isola: ")
                    .contains("lines dropped"));
            int read = 0;
            while (follower.next(Duration.ZERO).isPresent()) {
                read++;
            }
            assertThat(read).isLessThanOrEqualTo(kept).isGreaterThan(kept - 5);
        }
    }

    @Test
    void followers_areBoundedPerFunction() {
        FunctionLogs logs = FunctionLogs.create(dir, 1 << 20);
        List<LogFollower> open = new ArrayList<>();
        for (int i = 0; i < FunctionLogs.MAX_FOLLOWERS; i++) {
            open.add(logs.follow(HELLO));
        }
        assertThatThrownBy(() -> logs.follow(HELLO)).isInstanceOf(IsolaException.class)
                .hasMessageContaining("log followers");
        open.getFirst().close();
        logs.follow(HELLO).close();
        open.forEach(LogFollower::close);
    }
}
