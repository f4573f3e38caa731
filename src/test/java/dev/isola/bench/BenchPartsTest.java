package dev.isola.bench;

import dev.isola.bench.result.Experiments;
import dev.isola.function.ManifestParser;
import dev.isola.host.Executables;
import dev.isola.host.ProcessRunner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The parsers and small calculations the experiments rely on, without a server. */
class BenchPartsTest {
    private static final String HEY = """

            Summary:
              Total:\t1.2345 secs
              Slowest:\t0.0100 secs
              Requests/sec:\t26544.1234

            Status code distribution:
              [200]\t32000 responses
              [502]\t700 responses

            Error distribution:
              [68]\tGet "http://127.0.0.1:8080/": dial tcp: connection refused
            """;

    @Test
    void hey_parse_readsRateTimeAndCountsNon2xxAsErrors() {
        Hey.Outcome r = Hey.parse(HEY, 32_768);

        assertThat(r.totalSeconds()).isEqualTo(1.2345);
        assertThat(r.requestsPerSecond()).isEqualTo(26544.1234);
        assertThat(r.ok2xx()).isEqualTo(32_000);
        assertThat(r.errors()).isEqualTo(768);
        assertThat(r.errorKinds()).isEqualTo("status 502 700, refused 68");
    }

    @Test
    void hey_parse_namesEachErrorsKind_andCountsWhatItsCutOutputLeftUnsaid() {
        String text = """
                  Total:\t9.0 secs
                  Requests/sec:\t100.0
                Status code distribution:
                  [200]\t900 responses
                Error distribution:
                  [50]\tGet "http://127.0.0.1:8080/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)
                  [20]\tGet "http://127.0.0.1:8080/": read tcp 127.0.0.1:1->127.0.0.1:8080: read: connection reset by peer
                  [10]\tGet "http://127.0.0.1:8080/": EOF
                """;

        Hey.Outcome r = Hey.parse(text, 1_000);

        assertThat(r.errors()).isEqualTo(100);
        assertThat(r.errorKinds()).isEqualTo("timeout 50, reset 20, unknown 20, closed 10");
    }

    @Test
    void hey_parse_withoutErrors_hasNoKinds() {
        assertThat(Hey.parse("Total:\t1 secs\nRequests/sec:\t5\n  [200]\t5 responses\n", 5).errorKinds()).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "<not supported>,,instructions,0,100.00,,|-1",
            "123456,,instructions:u,1000,100.00,,|123456",
            "1234,,instructions,1000,100.00,,|1234"})
    void perf_parse_readsCountOrNothing(String line, long expected) {
        assertThat(PerfStat.parse(line)).isEqualTo(expected < 0 ? Optional.empty() : Optional.of(expected));
    }

    @Test
    void perf_parse_findsTheCountsAmongOtherOutput() {
        // perf's counts (its stderr) merged with the measured command's stdout and perf's own warnings.
        String merged = """
                some output of the measured command
                Warning: a perf warning, with, commas
                987654,,instructions,1000000,100.00,,
                """;

        assertThat(PerfStat.parse(merged)).contains(987_654L);
    }

    @Test
    void hey_run_findsHeyOnTheRunnersPath_andParsesItsOutput(@TempDir Path bin) throws Exception {
        Files.writeString(bin.resolve("hey.txt"), HEY);
        tool(bin, "hey", "cat '" + bin.resolve("hey.txt") + "'");
        Hey hey = new Hey(ProcessRunner.create(new Executables(List.of(bin))));

        Hey.Outcome r = hey.run("http://127.0.0.1:9/", 32_768, 4, Duration.ofSeconds(30));

        assertThat(hey.executable()).contains(bin.resolve("hey"));
        assertThat(r.ok2xx()).isEqualTo(32_000);
        assertThat(r.errors()).isEqualTo(768);
    }

    @Test
    void hey_run_failingHey_isABenchExceptionWithItsOutput(@TempDir Path bin) throws Exception {
        tool(bin, "hey", "echo 'no such host' >&2; exit 3");
        Hey hey = new Hey(ProcessRunner.create(new Executables(List.of(bin))));

        assertThatThrownBy(() -> hey.run("http://127.0.0.1:9/", 1, 1, Duration.ofSeconds(30)))
                .isInstanceOf(BenchException.class).hasMessageContaining("exit 3").hasMessageContaining("no such host");
    }

    @Test
    void perf_instructions_readsTheCountsPerfWritesToStderr(@TempDir Path bin) throws Exception {
        tool(bin, "perf", "echo 'measured command output'; echo '4242,,instructions,1000000,100.00,,' >&2");
        PerfStat perf = new PerfStat(ProcessRunner.create(new Executables(List.of(bin))));

        assertThat(perf.instructions(List.of(1L), Duration.ofMillis(10))).isEqualTo(4242);
    }

    /** An executable shell script {@code name} in {@code bin}. */
    private static void tool(Path bin, String name, String script) throws IOException {
        Path file = bin.resolve(name);
        Files.writeString(file, "#!/bin/sh\n" + script + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @ParameterizedTest
    @CsvSource({"'7', 7", "'9 7', 9", "'5 1 4 2 3', 5",
            "'20 19 18 17 16 15 14 13 12 11 10 9 8 7 6 5 4 3 2 1', 19"})
    void p95_isNearestRank(String values, double expected) {
        double[] v = Arrays.stream(values.split(" ")).mapToDouble(Double::parseDouble).toArray();

        assertThat(BurstExperiment.p95(v)).isEqualTo(expected);
    }

    @Test
    void everyCataloguedExperiment_hasAnImplementation() {
        assertThat(Experiments.ALL).allSatisfy(spec ->
                assertThat(Experiment.of(spec).steps(BenchProfile.quickProfile())).as(spec.id()).isPositive());
    }

    @Test
    void coldStartSeconds_sumsTheFunctionsHistogramOnly() {
        String metrics = """
                # TYPE isola_cold_start_seconds histogram
                isola_cold_start_seconds_sum{backend="process",function="bench-hello-go"} 0.125
                isola_cold_start_seconds_sum{backend="runc",function="bench-hello-go"} 0.25
                isola_cold_start_seconds_sum{backend="process",function="bench-hello-go2"} 9
                isola_cold_start_seconds_count{backend="process",function="bench-hello-go"} 3
                """;

        assertThat(ColdStartExperiment.coldStartSeconds(metrics, "bench-hello-go")).isEqualTo(0.375);
        assertThat(ColdStartExperiment.coldStartSeconds(metrics, "other")).isZero();
    }

    @Test
    void instanceCount_sumsTheFunctionsStates_fromMetrics() {
        String metrics = """
                # TYPE isola_instances gauge
                isola_instances{backend="runc",function="bench-hello-go-density",state="ready"} 4998.0
                isola_instances{backend="runc",function="bench-hello-go-density",state="starting"} 2.0
                isola_instances{backend="runc",function="bench-hello-go-density-other",state="ready"} 1.0
                isola_instances_total{backend="runc",function="bench-hello-go-density",state="ready"} 7.0
                """;

        assertThat(BenchClient.instanceCount(metrics, "bench-hello-go-density", "ready")).isEqualTo(4998);
        assertThat(BenchClient.instanceCount(metrics, "bench-hello-go-density", "any")).isEqualTo(5000);
        assertThat(BenchClient.instanceCount(metrics, "bench-hello-go-density-other", "any")).isEqualTo(1);
        assertThat(BenchClient.instanceCount(metrics, "gone", "any")).isZero();
    }

    @Test
    void density_aCountPastTheHostsMemory_isNotStarted_andSaysWhy() {
        assertThat(DensityExperiment.fits(1000, 2.0, 10_000)).isEmpty();
        assertThat(DensityExperiment.fits(5000, 0, 10)).as("the first count has no cost per instance yet").isEmpty();
        assertThat(DensityExperiment.fits(5000, 2.0, 10_000))
                .isEqualTo("not started: 5000 instances at 2.00 MiB each need 10000 MiB, more than 80 % of the "
                        + "10000 MiB available");
    }

    @Test
    void hostIdle_isTheIdleAndIowaitShareOfAllCpuTime() {
        long[] before = {100, 0, 50, 1000, 10, 0, 5, 0};
        long[] busy = {180, 0, 90, 1060, 10, 0, 15, 0}; // 190 ticks, 60 idle
        long[] quiet = {102, 0, 51, 1190, 10, 0, 5, 0}; // 193 ticks, 190 idle

        assertThat(HostIdle.idleShare(before, busy)).isLessThan(HostIdle.IDLE_SHARE);
        assertThat(HostIdle.idleShare(before, quiet)).isGreaterThan(HostIdle.IDLE_SHARE);
        long[] idleAsIowait = {102, 0, 51, 1095, 105, 0, 5, 0}; // 193 ticks, 95 idle and 95 waiting for I/O
        assertThat(HostIdle.idleShare(before, idleAsIowait)).as("a CPU waiting for I/O has nothing to run")
                .isGreaterThan(HostIdle.IDLE_SHARE);
        long[] now = HostIdle.cpuTimes();
        assertThat(now).hasSize(8);
        assertThat(Arrays.stream(now).min().orElseThrow()).isNotNegative();
    }

    @Test
    void profile_densityCounts_areSortedAndPositive() {
        assertThat(BenchProfile.quickProfile().withDensityCounts(List.of(1000, 100, 1000)).densityCounts())
                .containsExactly(100, 1000);
        assertThatThrownBy(() -> BenchProfile.quickProfile().withDensityCounts(List.of(0)))
                .hasMessageContaining("density counts must be at least 1");
    }

    @Test
    void manifest_keepsRuntimeEntryAndEnv_andSetsBackendLimitsScaling() throws Exception {
        String example = """
                name: node-hello
                runtime: node
                entry: index.js
                env: {GREETING: "it's me"}
                scaling: {concurrency: 100, maxInstances: 4}
                """;

        String manifest = Workloads.manifest(example, FunctionSpec.idle("hello", 3), "node", "runc");

        assertThat(manifest).contains("name: bench-hello-node\n", "runtime: node\n", "entry: 'index.js'\n",
                "GREETING: 'it''s me'", "backend: runc\n", "limits: {memory: 512Mi, cpus: 1,",
                "scaling: {concurrency: 1, minInstances: 3, maxInstances: 3, idleTimeout: 1h, singleUse: false, clones: false}");
    }

    /** No entry is written for a handler without one: a Node.js handler module is the entry, Python has none. */
    @ParameterizedTest
    @CsvSource({"python, main:app", "node, handler.js"})
    void manifest_ofAHandlerFunction_keepsTheHandler_andParsesAsAManifest(String runtime, String handler)
            throws Exception {
        String example = "name: " + runtime + "-hello\nruntime: " + runtime + "\nhandler: " + handler + "\n";

        String manifest = Workloads.manifest(example, FunctionSpec.idle("hello", 1), runtime, "process");

        assertThat(manifest).contains("runtime: " + runtime + "\n", "handler: '" + handler + "'\n")
                .doesNotContain("entry:");
        assertThat(ManifestParser.parse(manifest).handler()).contains(handler);
    }

    @Test
    void processTreeCpu_ofThisJvm_isPositiveAndGrows() throws Exception {
        long self = ProcessHandle.current().pid();
        ProcessTreeCpu.Reading before = ProcessTreeCpu.read(self);
        // 50 ms of this thread's own CPU time, not of wall time: on a busy host a 50 ms spin got 33 ms of CPU.
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long cpuEnd = threads.getCurrentThreadCpuTime() + 50_000_000L;
        long wallEnd = System.nanoTime() + 30_000_000_000L;
        long spin = 0;
        while (threads.getCurrentThreadCpuTime() < cpuEnd && System.nanoTime() < wallEnd) {
            spin++;
        }
        ProcessTreeCpu.Reading after = ProcessTreeCpu.read(self);

        assertThat(spin).isPositive();
        assertThat(before.totalMillis()).isPositive();
        assertThat(after.millisSince(before)).isGreaterThanOrEqualTo(40);
    }

    @Test
    void progress_plain_printsExperimentRepetitionsAndEstimate() {
        StringWriter text = new StringWriter();
        Progress progress = new Progress(new PrintWriter(text), false);

        progress.begin("burst", "process", "go", 2);
        progress.step();
        progress.step();
        progress.end();

        assertThat(text.toString()).contains("burst process/go  rep 0/2", "rep 2/2", "elapsed 0:00", "left ~0:00");
    }

    @Test
    void progress_terminal_rewritesOneLine() {
        StringWriter text = new StringWriter();
        Progress progress = new Progress(new PrintWriter(text), true);

        progress.begin("cpu", "runc", "node", 3);
        progress.step();
        progress.end();

        assertThat(text.toString()).startsWith("\rcpu runc/node  rep 0/3").contains("\rcpu runc/node  rep 1/3")
                .endsWith(System.lineSeparator());
    }
}
