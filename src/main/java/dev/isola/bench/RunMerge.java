package dev.isola.bench;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.isola.bench.result.Sample;
import dev.isola.bench.result.SampleCsv;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Several runs made one: a full-profile run on every backend takes hours per backend on a small host, so it can be
 * made in parts (one or two backends a day) and merged. Each point of a series (an experiment's rows of one backend,
 * runtime and size) must come from one part only, so that no repetition is counted twice or two hosts' figures mix
 * in one bar; parts may hold different runtimes or sizes of one series (the sizes a slow backend reached one day,
 * the rest another). The merged {@code metadata.json} keeps every part's metadata whole, in order, under
 * {@code parts}; it is interrupted or quick if any part was.
 *
 * <p>A series measured again (after a fix, say) replaces the earlier one only when asked ({@code replace}): then the
 * later part's rows of that experiment and backend stand, the earlier parts' are dropped whole, and
 * {@code metadata.json} lists each replacement under {@code replaced}, so a reader knows which part's metadata
 * describes which figure.
 */
public final class RunMerge {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RunMerge() {
    }

    /** Writes the merge of {@code parts} into {@code out} (new or empty): raw CSVs and metadata, no report yet. */
    public static void merge(List<Path> parts, Path out) {
        merge(parts, out, false);
    }

    /**
     * As {@link #merge(List, Path)}; with {@code replace}, a later part's experiment on a backend replaces an earlier
     * part's instead of being refused.
     */
    public static void merge(List<Path> parts, Path out, boolean replace) {
        if (parts.size() < 2) {
            throw new BenchException("Failed to merge: give at least two run directories");
        }
        Map<String, List<Sample>> byExperiment = new TreeMap<>();
        Map<String, Path> origin = new LinkedHashMap<>(); // a point of a series -> the part it came from
        List<Map<String, Object>> metadata = new ArrayList<>();
        List<Map<String, String>> replaced = new ArrayList<>();
        for (Path part : parts) {
            RunDirectory.requireRun(part);
            for (Path csv : csvs(part)) {
                String experiment = csv.getFileName().toString().replaceFirst("\\.csv$", "");
                List<Sample> samples = read(csv);
                List<Sample> rows = byExperiment.computeIfAbsent(experiment, e -> new ArrayList<>());
                for (String backend : samples.stream().map(s -> s.key().backend()).distinct().toList()) {
                    Optional<Sample> twice = samples.stream().filter(s -> s.key().backend().equals(backend)
                            && origin.containsKey(point(s))).findFirst();
                    if (twice.isEmpty()) {
                        continue;
                    }
                    Path earlier = origin.get(point(twice.get()));
                    if (!replace) {
                        throw new BenchException("Failed to merge: " + earlier + " and " + part + " both hold "
                                + experiment + " on " + backend + " (" + twice.get().key().runtime()
                                + (twice.get().key().x().isEmpty() ? "" : ", " + twice.get().key().x())
                                + "); merge runs of different backends, runtimes or sizes, or give --replace to keep "
                                + "the later one");
                    }
                    rows.removeIf(s -> s.key().backend().equals(backend));
                    origin.keySet().removeIf(k -> k.startsWith(experiment + " " + backend + " "));
                    replaced.add(replacement(experiment, backend, earlier, part));
                }
                samples.forEach(s -> origin.put(point(s), part));
                rows.addAll(samples);
            }
            metadata.add(metadata(part));
        }
        RunDirectory.create(out);
        byExperiment.forEach((experiment, samples) ->
                SampleCsv.write(RunDirectory.raw(out).resolve(experiment + ".csv"), samples));
        Map<String, Object> merged = new LinkedHashMap<>();
        merged.put("interrupted", metadata.stream().anyMatch(m -> Boolean.TRUE.equals(m.get("interrupted"))));
        merged.put("quick", metadata.stream().anyMatch(m -> m.get("bench") instanceof Map<?, ?> b
                && Boolean.TRUE.equals(b.get("quick"))));
        if (!replaced.isEmpty()) {
            merged.put("replaced", replaced);
        }
        merged.put("parts", metadata);
        RunDirectory.writeMetadata(out, merged);
    }

    /** A point of a series: its experiment, backend, runtime and size. */
    private static String point(Sample s) {
        return s.key().experiment() + " " + s.key().backend() + " " + s.key().runtime() + " " + s.key().x();
    }

    private static Map<String, String> replacement(String experiment, String backend, Path dropped, Path kept) {
        Map<String, String> entry = new LinkedHashMap<>(); // in this order in metadata.json and the report
        entry.put("experiment", experiment);
        entry.put("backend", backend);
        entry.put("dropped", dropped.getFileName().toString());
        entry.put("kept", kept.getFileName().toString());
        return entry;
    }

    private static List<Path> csvs(Path run) {
        try (Stream<Path> files = Files.list(RunDirectory.raw(run))) {
            return files.filter(f -> f.getFileName().toString().endsWith(".csv")).sorted().toList();
        } catch (IOException e) {
            throw new BenchException("Failed to list " + RunDirectory.raw(run) + ": " + e.getMessage(), e);
        }
    }

    private static List<Sample> read(Path csv) {
        try {
            return SampleCsv.read(csv);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw new BenchException("Failed to merge: " + e.getMessage(), e);
        }
    }

    /** A part's metadata, with where it came from; {@code {}} and its directory when it has none. */
    private static Map<String, Object> metadata(Path part) {
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("run", part.getFileName().toString());
        Path file = part.resolve("metadata.json");
        if (Files.exists(file)) {
            try {
                meta.putAll(JSON.readValue(file.toFile(), new TypeReference<Map<String, Object>>() { }));
            } catch (IOException e) {
                throw new BenchException("Failed to read " + file + ": " + e.getMessage(), e);
            }
        }
        return meta;
    }
}
