package dev.isola.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code isola bench} argument handling; the runs themselves are tested in dev.isola.bench. */
class BenchCommandTest {
    @Test
    void help_listsOptionsAndExperiments() {
        IsolaCli.Result result = IsolaCli.run("bench", "--help");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).startsWith("Usage: isola bench").contains("--backends", "--runtimes", "--reps",
                "--out", "--quick", "cold-start", "network-throughput", "report");
    }

    @Test
    void unknownExperiment_isUsageError() {
        IsolaCli.Result result = IsolaCli.run("bench", "coldstart", "--quick");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("Unknown experiment 'coldstart'", "cold-start");
    }

    @Test
    void noExperiment_isUsageError() {
        IsolaCli.Result result = IsolaCli.run("bench", "--quick");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("Missing EXPERIMENT");
    }

    @Test
    void unknownRuntime_isUsageError() {
        IsolaCli.Result result = IsolaCli.run("bench", "cpu", "--runtimes", "ruby");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("Unknown runtime 'ruby'");
    }

    @Test
    void badThroughputTotal_isUsageError() {
        IsolaCli.Result result = IsolaCli.run("bench", "network-throughput", "--throughput-total", "lots");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("--throughput-total");
    }

    @Test
    void zeroCount_isUsageError() {
        IsolaCli.Result result = IsolaCli.run("bench", "idle-memory", "--counts", "1,0");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("--counts must be at least 1");
    }

    @Test
    void report_ofADirectoryWithoutRawResults_fails(@TempDir Path dir) {
        IsolaCli.Result result = IsolaCli.run("bench", "report", dir.toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).contains("no raw/ directory");
    }
}
