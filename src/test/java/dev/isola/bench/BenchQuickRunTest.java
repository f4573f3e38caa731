package dev.isola.bench;

import dev.isola.bench.result.Experiments;
import dev.isola.bench.result.GroupKey;
import dev.isola.bench.result.Sample;
import dev.isola.bench.result.SampleCsv;
import dev.isola.testing.Leaks;
import dev.isola.testing.TestHost;
import dev.isola.testing.TestIsola;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every experiment in its quick form on the process backend, once for the class (about half a minute), and each
 * experiment's raw file read back with {@link SampleCsv#read} against the schema docs/bench.md promises.
 */
class BenchQuickRunTest {
    static final Path FUNCTIONS = Path.of("functions");
    static final Path BUILD_CACHE = TestIsola.sharedCacheDir();

    private static Path parent;
    private static BenchRunner.Result result;
    /** Whether perf counts instructions on this host, which decides idle-cpu's metric. */
    private static boolean perfCounts;

    @BeforeAll
    static void runAll() throws IOException {
        parent = Files.createTempDirectory("isola-bench-test-");
        BenchConfig config = new BenchConfig(Experiments.ids(), List.of("process"), BenchConfig.RUNTIMES,
                BenchProfile.quickProfile(), parent.resolve("run"), FUNCTIONS, BUILD_CACHE);
        result = new BenchRunner(config, TestHost.runner(), Progress.silent()).run();
        perfCounts = new PerfStat(TestHost.runner()).available();
    }

    @AfterAll
    static void cleanUp() {
        TestFiles.deleteTree(parent);
    }

    static Stream<Arguments> schema() {
        return Stream.of(
                Arguments.of("cold-start", Set.of("completion_ms"), Set.of(""), Set.of("")),
                Arguments.of("burst", Set.of("mean_ms", "p95_ms", "completion_ms"), Set.of("", "request"),
                        Set.of("2", "4")),
                Arguments.of("start-cost", Set.of("cpu_ms"), Set.of("cpu-time"), Set.of("")),
                Arguments.of("idle-cpu", Set.of(perfCounts ? "instructions_millions" : "cpu_ms"),
                        Set.of(perfCounts ? "instructions" : "cpu-time"), Set.of("")),
                Arguments.of("idle-memory", Set.of("mem_used_mib", "mem_per_instance_mib", "pss_per_instance_mib"),
                        Set.of(""),
                        Set.of("1", "2")),
                Arguments.of("cpu", Set.of("duration_ms"), Set.of(""), Set.of("")),
                Arguments.of("memory", Set.of("duration_ms"), Set.of("matrix", "alloc"), Set.of("")),
                Arguments.of("network-concurrency", Set.of("requests_per_s", "errors"), Set.of("direct", "gateway"),
                        Set.of("1", "4")),
                Arguments.of("network-throughput", Set.of("throughput_mib_s"), Set.of(""), Set.of("")),
                Arguments.of("disk", Set.of("duration_ms", "read_ms"), Set.of(""), Set.of("")),
                // The process backend keeps no standby sandboxes and makes no clones: cold and warm only.
                Arguments.of("fast-start", Set.of("completion_ms"), Set.of("cold", "warm"), Set.of("")),
                Arguments.of("density", Set.of("mem_per_instance_mib", "start_s", "stop_s", "jvm_threads",
                        "open_files", "p50_ratio", "worst_ratio"), Set.of("", "start", "stop", "threads", "open-files",
                        "healthz", "admin", "warm-call"), Set.of("3")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("schema")
    void quickRun_writesEveryExperimentInTheSchema(String experiment, Set<String> metrics, Set<String> variants,
                                                   Set<String> xs) {
        List<Sample> rows = SampleCsv.read(result.runDir().resolve("raw").resolve(experiment + ".csv"));

        assertThat(rows).isNotEmpty().allSatisfy(s -> {
            assertThat(s.key().experiment()).isEqualTo(experiment);
            assertThat(s.key().backend()).isEqualTo("process");
            assertThat(s.key().runtime()).isIn(BenchConfig.RUNTIMES);
            assertThat(s.rep()).isBetween(0, 1);
        });
        List<GroupKey> keys = rows.stream().map(Sample::key).toList();
        assertThat(keys.stream().map(GroupKey::metric).collect(Collectors.toSet())).containsAll(metrics);
        assertThat(keys.stream().map(GroupKey::variant).collect(Collectors.toSet())).isEqualTo(variants);
        assertThat(keys.stream().map(GroupKey::x).collect(Collectors.toSet())).isEqualTo(xs);
        assertThat(keys.stream().map(GroupKey::runtime).collect(Collectors.toSet()))
                .containsExactlyInAnyOrderElementsOf(BenchConfig.RUNTIMES);
        // Density measures each count once: its thousands of starts are the repetitions.
        List<Integer> reps = experiment.equals("density") ? List.of(0) : List.of(0, 1);
        for (String metric : metrics) {
            assertThat(rows.stream().filter(s -> s.key().metric().equals(metric)).map(Sample::rep).distinct())
                    .as(metric + " repetitions").containsExactlyInAnyOrderElementsOf(reps);
        }
        assertThat(rows).filteredOn(s -> !s.ok() && !knownBurstReset(s)).as("failed rows").isEmpty();
        assertThat(rows).filteredOn(Sample::ok).allSatisfy(s -> assertThat(s.value().getAsDouble()).isFinite());
    }

    /**
     * Open bug, seen once in CI: in a burst on the process backend a fresh Node.js instance reset the gateway's
     * first connection ("the function failed to answer (Connection reset)"). The bench records it as a failed call,
     * which is its job; the backend bug is tracked in the session note, not hidden here: only that message passes.
     */
    private static boolean knownBurstReset(Sample s) {
        return s.key().experiment().equals("burst") && s.key().backend().equals("process")
                && s.error().contains("Connection reset");
    }

    @Test
    void quickRun_unitsMatchMetrics() {
        try (Stream<Path> files = Files.list(result.runDir().resolve("raw"))) {
            List<Sample> all = files.flatMap(f -> SampleCsv.read(f).stream()).toList();
            assertThat(all).allSatisfy(s -> assertThat(s.unit()).isEqualTo(switch (s.key().metric()) {
                case "requests_per_s" -> "req/s";
                case "errors" -> "count";
                case "throughput_mib_s" -> "MiB/s";
                case "mem_used_mib", "mem_per_instance_mib", "pss_per_instance_mib" -> "MiB";
                case "instructions_millions" -> "Minstr";
                case "start_s", "stop_s" -> "s";
                case "jvm_threads", "open_files" -> "count";
                case "p50_ratio", "worst_ratio" -> "ratio";
                default -> "ms";
            }));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void quickRun_writesMetadataAndLeavesNothingRunning() throws IOException {
        String metadata = Files.readString(result.runDir().resolve("metadata.json"));

        assertThat(result.interrupted()).isFalse();
        assertThat(metadata).contains("\"interrupted\" : false", "\"quick\" : true", "\"reps\" : 2", "\"cpuModel\"",
                "\"kernel\"", "\"runc\"", "\"hey\"", "\"endedAt\" : \"");
        Leaks.assertNoChildProcesses();
    }
}
