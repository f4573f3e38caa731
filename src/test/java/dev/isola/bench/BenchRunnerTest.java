package dev.isola.bench;

import dev.isola.bench.result.Sample;
import dev.isola.bench.result.SampleCsv;
import dev.isola.testing.Await;
import dev.isola.testing.Leaks;
import dev.isola.testing.TestHost;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Stopping a run (the Ctrl-C path), failures recorded as rows, and never overwriting a run. */
class BenchRunnerTest {
    private Path parent;

    @BeforeEach
    void createParent() throws IOException {
        parent = Files.createTempDirectory("isola-bench-test-");
    }

    @AfterEach
    void deleteParent() {
        TestFiles.deleteTree(parent);
    }

    private BenchConfig config(List<String> experiments, List<String> backends, BenchProfile profile) {
        return new BenchConfig(experiments, backends, List.of("go"), profile, parent.resolve("run"),
                BenchQuickRunTest.FUNCTIONS, BenchQuickRunTest.BUILD_CACHE);
    }

    private static BenchRunner runner(BenchConfig config) {
        return new BenchRunner(config, TestHost.runner(), Progress.silent());
    }

    @Test
    void stop_keepsFinishedRows_marksMetadataInterrupted_andStopsEveryInstance() throws Exception {
        BenchConfig config = config(List.of("cold-start", "cpu"), List.of("process"),
                BenchProfile.quickProfile().withReps(10_000));
        BenchRunner runner = runner(config);
        AtomicReference<BenchRunner.Result> result = new AtomicReference<>();
        Thread thread = Thread.ofPlatform().name("bench-under-test").start(() -> result.set(runner.run()));
        Path csv = config.runDir().resolve("raw/cold-start.csv");
        Await.until(Duration.ofMinutes(2), () -> dataRows(csv) >= 6, "six cold-start rows to be written");

        runner.stop(Duration.ofMinutes(1)); // what the shutdown hook does on Ctrl-C
        thread.join(Duration.ofMinutes(1));

        assertThat(thread.isAlive()).isFalse();
        assertThat(result.get().interrupted()).isTrue();
        List<Sample> rows = SampleCsv.read(csv);
        assertThat(rows).hasSizeGreaterThanOrEqualTo(6).allMatch(Sample::ok);
        assertThat(rows.stream().mapToInt(Sample::rep).max().orElseThrow()).isLessThan(10_000 - 1);
        assertThat(config.runDir().resolve("raw/cpu.csv")).doesNotExist();
        assertThat(Files.readString(config.runDir().resolve("metadata.json"))).contains("\"interrupted\" : true");
        Leaks.assertNoChildProcesses();
    }

    @Test
    void failingRepetition_isRecordedWithItsError() {
        // fib accepts n up to 45: every call is answered 400, and every repetition must still be a row.
        BenchConfig config = config(List.of("cpu"), List.of("process"), BenchProfile.quickProfile().withFibN(99));

        BenchRunner.Result result = runner(config).run();

        List<Sample> rows = SampleCsv.read(result.runDir().resolve("raw/cpu.csv"));
        assertThat(rows).hasSize(2).allSatisfy(s -> {
            assertThat(s.status()).isEqualTo(Sample.Status.ERROR);
            assertThat(s.key().metric()).isEqualTo("duration_ms");
            assertThat(s.value()).isEmpty();
            assertThat(s.error()).startsWith("HTTP 400");
        });
        assertThat(rows).extracting(Sample::rep).containsExactly(0, 1);
    }

    @Test
    void unavailableBackend_isOneErrorRowPerExperiment_andTheRunGoesOn() {
        BenchConfig config = config(List.of("cold-start", "disk"), List.of("no-such-backend", "process"),
                BenchProfile.quickProfile().withReps(1));

        BenchRunner.Result result = runner(config).run();

        List<Sample> cold = SampleCsv.read(result.runDir().resolve("raw/cold-start.csv"));
        assertThat(cold).filteredOn(s -> s.key().backend().equals("no-such-backend")).singleElement().satisfies(s -> {
            assertThat(s.status()).isEqualTo(Sample.Status.ERROR);
            assertThat(s.key().metric()).isEqualTo("completion_ms");
            assertThat(s.error()).contains("no-such-backend");
        });
        assertThat(cold).filteredOn(s -> s.key().backend().equals("process")).isNotEmpty().allMatch(Sample::ok);
        assertThat(SampleCsv.read(result.runDir().resolve("raw/disk.csv"))).anyMatch(s -> !s.ok()
                && s.key().backend().equals("no-such-backend"));
    }

    @Test
    void nonEmptyRunDirectory_isRefused() throws IOException {
        BenchConfig config = config(List.of("cpu"), List.of("process"), BenchProfile.quickProfile());
        Files.createDirectories(config.runDir());
        Files.writeString(config.runDir().resolve("keep.txt"), "earlier results");

        assertThatThrownBy(() -> runner(config).run())
                .isInstanceOf(BenchException.class).hasMessageContaining("not empty");
        assertThat(config.runDir().resolve("keep.txt")).hasContent("earlier results");
    }

    @Test
    void freshDirectory_neverReusesAnExistingOne() throws IOException {
        Instant now = Instant.parse("2026-01-02T03:04:05Z");
        Files.createDirectories(parent.resolve("20260102T030405Z"));

        assertThat(RunDirectory.fresh(parent, now)).isEqualTo(parent.resolve("20260102T030405Z-2"));
    }

    private static long dataRows(Path csv) throws IOException {
        if (!Files.exists(csv)) {
            return 0;
        }
        try (var lines = Files.lines(csv)) {
            return lines.count() - 1;
        }
    }
}
