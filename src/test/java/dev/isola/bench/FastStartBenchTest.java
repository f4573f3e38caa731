package dev.isola.bench;

import dev.isola.bench.result.GroupKey;
import dev.isola.bench.result.Sample;
import dev.isola.bench.result.SampleCsv;
import dev.isola.testing.NoLeaks;
import dev.isola.testing.TestHost;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code isola bench fast-start} on runc, where the fast variant is a standby sandbox: the three starts, then the
 * memory readings of n standby sandboxes beside n instances started as usual (the process backend of
 * {@link BenchQuickRunTest} has neither).
 */
@NoLeaks
class FastStartBenchTest {
    @Test
    void fastStart_onRunc_measuresStandbyStartsAndTheirMemory() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root (runc)");
        Assumptions.assumeTrue(TestHost.runner().executables().find("runc").isPresent(), "runc is not installed");
        Path parent = Files.createTempDirectory("isola-bench-fast-");
        try {
            BenchConfig config = new BenchConfig(List.of("fast-start"), List.of("runc"), List.of("go"),
                    BenchProfile.quickProfile().withReps(1), parent.resolve("run"), BenchQuickRunTest.FUNCTIONS,
                    BenchQuickRunTest.BUILD_CACHE);
            BenchRunner.Result result = new BenchRunner(config, TestHost.runner(), Progress.silent()).run();

            List<Sample> rows = SampleCsv.read(result.runDir().resolve("raw").resolve("fast-start.csv"));
            assertThat(rows).as("failed rows").allMatch(Sample::ok);
            assertThat(rows.stream().map(s -> s.key().variant() + "/" + s.key().metric())
                    .collect(Collectors.toSet())).containsExactlyInAnyOrder("cold/completion_ms",
                    "fast/completion_ms", "warm/completion_ms", "cold-memory/mem_per_instance_mib",
                    "cold-memory/pss_per_instance_mib", "fast-memory/mem_per_instance_mib",
                    "fast-memory/pss_per_instance_mib");
            assertThat(rows).filteredOn(s -> s.key().variant().endsWith("-memory")).extracting(Sample::key)
                    .extracting(GroupKey::x).containsOnly("3");
            // A standby sandbox's host processes (the runtime's waiting init) hold memory: PSS is never zero.
            assertThat(rows).filteredOn(s -> s.key().metric().equals("pss_per_instance_mib"))
                    .allSatisfy(s -> assertThat(s.value().getAsDouble()).isPositive());
        } finally {
            TestFiles.deleteTree(parent);
        }
    }
}
