package dev.isola.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.isola.bench.result.Experiments;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class BenchReportTest {
    private static final List<String> ALL = Experiments.ids();

    @TempDir
    Path run;

    @Test
    void render_everyExperiment_writesSummaryWithEveryGroup() throws IOException {
        SyntheticRun.write(run, ALL);

        BenchReport.render(run);

        JsonNode groups = new ObjectMapper().readTree(run.resolve("summary.json").toFile()).get("groups");
        // per backend x runtime: 1 + 3 + 2 + 1 + 3 + 1 + 2 + 8 + 1 + 1 + 3 (fast-start: cold, fast, warm)
        // + 4 (density: memory and start at two counts) groups
        assertThat(groups).hasSize(6 * 30);
        JsonNode runcGo = find(groups, "cold-start", "runc", "go", "", "");
        assertThat(runcGo.get("n_ok").asInt()).isEqualTo(3);
        assertThat(runcGo.get("mean").asDouble()).isCloseTo(101, within(1e-9)); // 100, 101, 102
        assertThat(runcGo.get("median").asDouble()).isCloseTo(101, within(1e-9));
        assertThat(runcGo.get("interval").asText()).isEqualTo("range"); // 3 values: min-max
        assertThat(runcGo.get("interval_low").asDouble()).isEqualTo(100);
        assertThat(runcGo.get("interval_high").asDouble()).isEqualTo(102);
        assertThat(runcGo.get("unit").asText()).isEqualTo("ms");
        JsonNode runscNode = find(groups, "cold-start", "runsc", "node", "", "");
        assertThat(runscNode.get("n_ok").asInt()).isEqualTo(2);
        assertThat(runscNode.get("failed_by_status").get("timeout").asInt()).isEqualTo(1);
        JsonNode disk = find(groups, "disk", "microvm", "go", "", "");
        assertThat(disk.get("n_ok").asInt()).isZero();
        assertThat(disk.get("n_failed").asInt()).isEqualTo(3);
        assertThat(disk.get("mean").isNull()).isTrue();
        assertThat(find(groups, "burst", "runsc", "node", "", "30").get("mean").asDouble())
                .isCloseTo(630 + 1, within(1e-9));
    }

    @Test
    void render_everyExperiment_writesFiguresThatDecode() throws Exception {
        SyntheticRun.write(run, ALL);

        BenchReport.render(run);

        List<String> names = figureNames();
        assertThat(names).contains("fig03-cold-start.svg", "fig04-burst.svg", "fig05-start-cost-instructions.svg",
                "fig05-start-cost-cpu-time.svg", "fig06-idle-cpu.svg", "fig07-idle-memory.svg", "fig08-cpu.svg",
                "fig09-memory-matrix.svg", "fig10-memory-alloc.svg", "fig11-network-concurrency.svg",
                "fig12-network-throughput.svg", "fig13-disk.svg", "fig-density.svg", "fig-density-start.svg");
        for (String name : names.stream().filter(n -> n.endsWith(".png")).toList()) {
            BufferedImage image = ImageIO.read(run.resolve("figures").resolve(name).toFile());
            assertThat(image).as(name).isNotNull();
            assertThat(image.getWidth()).isEqualTo(ChartStyle.WIDTH);
        }
        assertThat(names.stream().filter(n -> n.endsWith(".png")).count())
                .isEqualTo(names.stream().filter(n -> n.endsWith(".svg")).count());
        String bar = svgText("fig03-cold-start.svg");
        assertThat(bar).contains("runc", "runsc", "microvm", "Request completion time (ms)", "microvm accelerator: kvm");
        assertThat(bar).as("the paper's values beside ours, also of its unikernels")
                .contains("the paper's value", "nanos (paper only)", "osv (paper only)");
        assertThat(svgText("fig04-burst.svg")).as("the paper's lines, the unikernels' included")
                .contains("paper runc/go", "paper nanos/go", "paper osv/node");
        assertThat(svgText("fig05-start-cost-cpu-time.svg")).contains("CPU time (ms)").doesNotContain("Instructions");
        assertThat(svgText("fig05-start-cost-instructions.svg")).contains("Instructions (millions)")
                .doesNotContain("CPU time");
        assertThat(svgText("fig04-burst.svg")).contains("runc/go", "runsc/node", "microvm/go");
        assertThat(svgText("fig11-network-concurrency.svg")).contains("runc/go direct", "microvm/node gateway",
                "Concurrent clients (log2)");
    }

    @Test
    void render_everyExperiment_writesReportWithEverySectionAndPaperValues() throws IOException {
        SyntheticRun.write(run, ALL);

        BenchReport.render(run);

        String html = Files.readString(run.resolve("report.html"));
        assertThat(html).startsWith("<!DOCTYPE html>");
        assertThat(html).contains("id=\"metadata\"", "id=\"results\"", "id=\"failures\"", "id=\"notes\"",
                "id=\"paper-values\"");
        for (String experiment : ALL) {
            assertThat(html).contains("id=\"experiment-" + experiment + "\"");
        }
        assertThat(html).contains("<img src=\"figures/fig03-cold-start.svg\"");
        assertThat(html).as("Isola's own experiments have no figure number of the paper's")
                .contains(">Density: live idle instances<").doesNotContain("Fig. :");
        assertThat(html).contains("Test CPU &lt;8 cores&gt;", "kvm");
        assertThat(html).contains("656 ms (fig. 3)"); // the paper's runsc/go cold start beside ours
        assertThat(html.indexOf("id=\"results\"")).as("the answer first, the metadata last")
                .isLessThan(html.indexOf("id=\"experiment-")).isLessThan(html.indexOf("id=\"metadata\""));
        String main = html.substring(html.indexOf("id=\"results\""), html.indexOf("id=\"experiment-"));
        assertThat(main).as("the main table: ours, theirs · the ratio, and the numbered reason under it")
                .contains("<th class=\"n\">runsc</th>", "<th class=\"n paper\">nanos (paper)</th>",
                        "201 ms<div class=\"vs\"", "656 · 0.306×<sup>", "<ol class=\"legend\">",
                        "<li>" + Html.text(KnownCauses.DOCKER) + "</li>", "<li>" + Html.text(KnownCauses.QEMU) + "</li>");
        assertThat(main).as("a series whose largest size failed: its largest answered, and where it failed from")
                .contains("621 ms @20<div class=\"vs\">failed from @30</div>");
        assertThat(html).contains("<details><summary>Host, versions and configuration");
        assertThat(html).contains("<td class=\"n\">44793</td>"); // the paper's osv peak, in the appendix
        assertThat(html).doesNotContain("<script>").contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
        assertThat(html).contains("timeout 1").contains("all failed");
        assertThat(html).contains("Start cost is (partly) measured as CPU time");
        assertThat(html).contains("Memory per instance (least-squares slope over n)");
        assertThat(html).doesNotContain("Not run.");
    }

    @Test
    void render_someExperiments_rendersAndSaysNotRun() throws IOException {
        SyntheticRun.write(run, List.of("cold-start", "idle-memory"));

        BenchReport.render(run);

        assertThat(figureNames()).containsExactlyInAnyOrder("fig03-cold-start.png", "fig03-cold-start.svg",
                "fig07-idle-memory.png", "fig07-idle-memory.svg");
        String html = Files.readString(run.resolve("report.html"));
        assertThat(html).contains("Not run.").contains("Not run: burst, start-cost");
    }

    @Test
    void render_noMetadata_rendersAndSaysSo() throws IOException {
        SyntheticRun.write(run, List.of("disk"));
        Files.delete(run.resolve("metadata.json"));

        BenchReport.render(run);

        assertThat(Files.readString(run.resolve("report.html"))).contains("metadata.json is missing");
    }

    @Test
    void render_interruptedRun_saysSoAtTheTop() throws IOException {
        SyntheticRun.write(run, List.of("cold-start"));
        Files.writeString(run.resolve("metadata.json"), "{\"config\": {\"quick\": false}, \"interrupted\": true}");

        BenchReport.render(run);

        String html = Files.readString(run.resolve("report.html"));
        assertThat(html).contains("This run was interrupted").contains("Run <b>interrupted</b>");
        assertThat(html).doesNotContain("microvm accelerator");
    }

    @Test
    void render_malformedCsv_namesFileAndLine() throws IOException {
        SyntheticRun.write(run, List.of("cold-start"));
        Path csv = run.resolve("raw").resolve("cold-start.csv");
        List<String> lines = Files.readAllLines(csv);
        lines.set(3, "cold-start,runc,go,,,2,completion_ms,not-a-number,ms,ok,");
        Files.write(csv, lines);

        assertThatThrownBy(() -> BenchReport.render(run))
                .isInstanceOf(BenchReportException.class)
                .hasMessageContaining(csv + ":4")
                .hasMessageContaining("not-a-number");
    }

    @Test
    void render_malformedMetadata_namesFile() throws IOException {
        SyntheticRun.write(run, List.of("cold-start"));
        Files.writeString(run.resolve("metadata.json"), "{\"host\": ");

        assertThatThrownBy(() -> BenchReport.render(run))
                .isInstanceOf(BenchReportException.class)
                .hasMessageContaining("metadata.json");
    }

    private List<String> figureNames() throws IOException {
        try (Stream<Path> files = Files.list(run.resolve("figures"))) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    /** Parses the SVG as XML (it must be well formed) and returns its text content. */
    private String svgText(String name) {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            Document doc = factory.newDocumentBuilder().parse(run.resolve("figures").resolve(name).toFile());
            assertThat(doc.getDocumentElement().getTagName()).isEqualTo("svg");
            return doc.getDocumentElement().getTextContent();
        } catch (Exception e) {
            throw new AssertionError("not well-formed SVG: " + name, e);
        }
    }

    private static JsonNode find(JsonNode groups, String experiment, String backend, String runtime, String variant,
                                 String x) {
        for (JsonNode g : groups) {
            if (g.get("experiment").asText().equals(experiment) && g.get("backend").asText().equals(backend)
                    && g.get("runtime").asText().equals(runtime) && g.get("variant").asText().equals(variant)
                    && g.get("x").asText().equals(x)) {
                return g;
            }
        }
        throw new AssertionError("no group " + experiment + "/" + backend + "/" + runtime + "/" + variant + "/" + x);
    }
}
