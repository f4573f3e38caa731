package dev.isola.bench.report;

import dev.isola.bench.result.GroupKey;
import dev.isola.bench.result.SampleCsv;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.StringReader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class PaperValuesTest {
    private final PaperValues paper = PaperValues.load();

    @Test
    void load_coversEveryFigureFrom3To13() {
        for (int figure = 3; figure <= 13; figure++) {
            assertThat(paper.figure(figure)).as("figure %d", figure).isNotEmpty();
        }
        assertThat(paper.all()).allSatisfy(v -> {
            assertThat(v.key().backend()).isIn("runc", "runsc", "microvm", "nanos", "osv");
            assertThat(v.note()).isNotBlank();
        });
    }

    @Test
    void load_holdsNumbersTheTextStates() {
        assertThat(paper.find(new GroupKey("cold-start", "runsc", "go", "", "", "completion_ms")))
                .hasValueSatisfying(v -> assertThat(v.value()).isCloseTo(656, within(1.0)));
        assertThat(paper.find(new GroupKey("disk", "runc", "go", "", "", "duration_ms")))
                .hasValueSatisfying(v -> assertThat(v.value()).isCloseTo(87, within(0.5)));
        assertThat(paper.find(new GroupKey("network-throughput", "nanos", "go", "", "", "throughput_mib_s")))
                .hasValueSatisfying(v -> assertThat(v.value()).isCloseTo(271, within(1.0)));
        assertThat(paper.find(new GroupKey("burst", "runsc", "node", "", "100", "mean_ms")))
                .hasValueSatisfying(v -> assertThat(v.value()).isCloseTo(16700, within(50.0)));
    }

    @Test
    void find_emptyVariantInThePaperMatchesAnyVariant() {
        assertThat(paper.find(new GroupKey("idle-cpu", "microvm", "go", "instructions", "", "instructions_millions")))
                .isPresent();
        assertThat(paper.find(new GroupKey("idle-cpu", "microvm", "go", "cpu-time", "", "cpu_ms"))).isEmpty();
    }

    @Test
    void peak_isTheLargestValueOverX() {
        assertThat(paper.peak(new GroupKey("network-concurrency", "osv", "go", "direct", "", "requests_per_s")))
                .hasValueSatisfying(v -> {
                    assertThat(v.value()).isCloseTo(44793, within(1.0));
                    assertThat(v.key().x()).isEqualTo("32");
                });
    }

    @Test
    void parse_badRow_namesTheLine() {
        String csv = PaperValues.HEADER + "\n3,cold-start,runc,go,,,completion_ms,fast,ms,note\n";

        assertThatThrownBy(() -> PaperValues.parse(new BufferedReader(new StringReader(csv))))
                .isInstanceOf(BenchReportException.class)
                .hasMessageContaining("paper-values.csv:2");
    }

    @Test
    void split_handlesQuotedCommasAndQuotes() {
        assertThat(SampleCsv.fields("a,\"b, c\",\"say \"\"hi\"\"\",")).containsExactly("a", "b, c", "say \"hi\"",
                "");
    }
}
