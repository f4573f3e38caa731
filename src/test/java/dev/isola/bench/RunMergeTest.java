package dev.isola.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.isola.bench.report.BenchReport;
import dev.isola.bench.result.Sample;
import dev.isola.bench.result.SampleCsv;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RunMergeTest {
    @TempDir
    Path dir;

    @Test
    void merge_runsOfDifferentBackends_makesOneRunWithEveryPartsRowsAndMetadata() throws IOException {
        Path runc = run("runc-day", "runc", false, 80, 90);
        Path runsc = run("runsc-day", "runsc", true, 200, 210);
        Path merged = dir.resolve("merged");

        RunMerge.merge(List.of(runc, runsc), merged);

        List<Sample> rows = SampleCsv.read(merged.resolve("raw/cold-start.csv"));
        assertThat(rows).extracting(s -> s.key().backend()).containsExactly("runc", "runc", "runsc", "runsc");
        JsonNode meta = new ObjectMapper().readTree(merged.resolve("metadata.json").toFile());
        assertThat(meta.get("interrupted").asBoolean()).as("one part was interrupted").isTrue();
        assertThat(meta.get("parts")).hasSize(2);
        assertThat(meta.get("parts").get(1).get("run").asText()).isEqualTo("runsc-day");
        assertThat(meta.get("parts").get(0).at("/host/accelerator").asText()).isEqualTo("tcg");

        BenchReport.render(merged);
        String html = Files.readString(merged.resolve("report.html"));
        assertThat(html).contains("<th class=\"n\">runc</th>", "<th class=\"n\">runsc</th>", "runsc-day");
    }

    @Test
    void merge_refusesTwoPartsWithTheSameBackendsExperiment_andANonEmptyTarget() throws IOException {
        Path first = run("first", "runc", false, 80, 90);
        Path second = run("second", "runc", false, 81, 91);

        assertThatThrownBy(() -> RunMerge.merge(List.of(first, second), dir.resolve("merged")))
                .isInstanceOf(BenchException.class).hasMessageContaining("both hold cold-start on runc")
                .hasMessageContaining("--replace");
        assertThat(dir.resolve("merged")).as("nothing written").doesNotExist();
        Path other = run("other", "crun", false, 70, 75);
        assertThatThrownBy(() -> RunMerge.merge(List.of(first, other), first))
                .isInstanceOf(BenchException.class).hasMessageContaining("not empty");
    }

    /** A slow backend's series in parts: the sizes and runtimes one day reached, the rest another. */
    @Test
    void merge_partsOfOneSeries_withOtherRuntimesOrSizes_makeOneSeries() throws IOException {
        Path small = series("small", "go", "10", "20");
        Path node = series("node", "node", "10");
        Path large = series("large", "go", "30");
        Path merged = dir.resolve("merged");

        RunMerge.merge(List.of(small, node, large), merged);

        assertThat(SampleCsv.read(merged.resolve("raw/idle-memory.csv")))
                .extracting(s -> s.key().runtime() + " " + s.key().x())
                .containsExactly("go 10", "go 20", "node 10", "go 30");
        assertThatThrownBy(() -> RunMerge.merge(List.of(small, series("again", "go", "20")), dir.resolve("m2")))
                .isInstanceOf(BenchException.class).hasMessageContaining("both hold idle-memory on microvm (go, 20)");
    }

    @Test
    void merge_withReplace_keepsTheLaterPartsSeries_dropsTheEarlierWhole_andSaysSo() throws IOException {
        Path first = run("first", "runc", false, 80, 90, 100);
        Path other = run("other", "crun", false, 70, 75);
        Path again = run("again", "runc", false, 81, 91);
        Path merged = dir.resolve("merged");

        RunMerge.merge(List.of(first, other, again), merged, true);

        List<Sample> rows = SampleCsv.read(merged.resolve("raw/cold-start.csv"));
        assertThat(rows).extracting(s -> s.key().backend() + " " + s.value().orElseThrow())
                .containsExactlyInAnyOrder("crun 70.0", "crun 75.0", "runc 81.0", "runc 91.0");
        JsonNode meta = new ObjectMapper().readTree(merged.resolve("metadata.json").toFile());
        assertThat(meta.get("replaced")).hasSize(1);
        assertThat(meta.at("/replaced/0").toString())
                .isEqualTo("{\"experiment\":\"cold-start\",\"backend\":\"runc\",\"dropped\":\"first\","
                        + "\"kept\":\"again\"}");
        assertThat(meta.get("parts")).as("every part's metadata is kept").hasSize(3);
    }

    private Path series(String name, String runtime, String... sizes) throws IOException {
        Path run = Files.createDirectories(dir.resolve(name).resolve("raw"));
        List<Sample> samples = new java.util.ArrayList<>();
        for (String x : sizes) {
            samples.add(Sample.ok("idle-memory", "microvm", runtime, "", x, 0, "pss_per_instance_mib", 80, "MiB"));
        }
        SampleCsv.write(run.resolve("idle-memory.csv"), samples);
        Files.writeString(run.getParent().resolve("metadata.json"), "{\"interrupted\": false, \"host\": {}}");
        return run.getParent();
    }

    private Path run(String name, String backend, boolean interrupted, double... values) throws IOException {
        Path run = Files.createDirectories(dir.resolve(name).resolve("raw"));
        List<Sample> samples = new java.util.ArrayList<>();
        for (int rep = 0; rep < values.length; rep++) {
            samples.add(Sample.ok("cold-start", backend, "go", "", "", rep + 1, "completion_ms", values[rep], "ms"));
        }
        SampleCsv.write(run.resolve("cold-start.csv"), samples);
        Files.writeString(run.getParent().resolve("metadata.json"), "{\"interrupted\": " + interrupted
                + ", \"host\": {\"accelerator\": \"tcg\"}, \"bench\": {\"backends\": [\"" + backend + "\"]}}");
        return run.getParent();
    }
}
