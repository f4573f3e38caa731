package dev.isola.bench.report;

import dev.isola.bench.result.GroupKey;
import dev.isola.bench.result.SampleCsv;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The paper's published numbers, from the classpath resource {@value #RESOURCE} (derived by
 * bench/paper-values.py, provenance in docs/bench-report.md). The file is ours and small, so a bad row is a
 * build defect: it fails loudly with its line number.
 */
public record PaperValues(List<PaperValue> all) {
    static final String RESOURCE = "/dev/isola/bench/paper-values.csv";
    static final String HEADER = "figure,experiment,backend,runtime,variant,x,metric,value,unit,note";
    private static final int COLUMNS = 10;

    public PaperValues {
        all = List.copyOf(all);
    }

    public static PaperValues load() {
        try (InputStream in = PaperValues.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new BenchReportException("Failed to load paper values " + RESOURCE + ": not on the classpath");
            }
            return parse(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new BenchReportException("Failed to load paper values " + RESOURCE + ": " + e.getMessage(), e);
        }
    }

    static PaperValues parse(BufferedReader reader) throws IOException {
        String header = reader.readLine();
        if (!HEADER.equals(header)) {
            throw new BenchReportException("Failed to load paper values " + RESOURCE + ": header is " + header);
        }
        List<PaperValue> values = new ArrayList<>();
        int lineNo = 1;
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            List<String> f = SampleCsv.fields(line);
            try {
                if (f.size() != COLUMNS) {
                    throw new IllegalArgumentException("expected " + COLUMNS + " fields, found " + f.size());
                }
                GroupKey key = new GroupKey(f.get(1), f.get(2), f.get(3), f.get(4), f.get(5), f.get(6));
                values.add(new PaperValue(Integer.parseInt(f.get(0)), key, Double.parseDouble(f.get(7)), f.get(8),
                        f.get(9)));
            } catch (IllegalArgumentException e) {
                throw new BenchReportException("Failed to load paper values " + RESOURCE + ":" + lineNo + ": "
                        + e.getMessage(), e);
            }
        }
        return new PaperValues(values);
    }

    /** The paper's value for exactly this group (x included), the most specific match first. */
    public Optional<PaperValue> find(GroupKey key) {
        return all.stream().filter(v -> v.matches(key))
                .max(Comparator.comparingInt(PaperValue::specificity));
    }

    /** The paper's largest value over every x of this series (a line figure's peak), e.g. maximum requests/s. */
    public Optional<PaperValue> peak(GroupKey series) {
        return all.stream().filter(v -> v.matchesSeries(series)).max(Comparator.comparingDouble(PaperValue::value));
    }

    public List<PaperValue> figure(int figure) {
        return all.stream().filter(v -> v.figure() == figure).toList();
    }
}
