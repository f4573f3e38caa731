package dev.isola.bench.report;

import dev.isola.bench.result.Sample;
import dev.isola.bench.result.SampleCsv;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads every {@code raw/*.csv} of a run directory, as the runner's {@code RawResultsWriter} wrote them. A malformed
 * file fails the report with its name and line.
 */
final class RawResultsReader {
    private RawResultsReader() {
    }

    static List<Sample> read(Path rawDir) {
        if (!Files.isDirectory(rawDir)) {
            throw new BenchReportException("Failed to read bench results " + rawDir + ": no such directory");
        }
        List<Sample> samples = new ArrayList<>();
        for (Path file : csvFiles(rawDir)) {
            try {
                samples.addAll(SampleCsv.read(file));
            } catch (IllegalArgumentException e) {
                // SampleCsv's message starts with "<file>:<line>:" (or names the file for a bad header).
                throw new BenchReportException("Failed to read bench results " + e.getMessage(), e);
            } catch (UncheckedIOException e) {
                throw new BenchReportException("Failed to read bench results " + file + ": "
                        + e.getCause().getMessage(), e);
            }
        }
        return samples;
    }

    private static List<Path> csvFiles(Path rawDir) {
        try (Stream<Path> files = Files.list(rawDir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".csv")).sorted().toList();
        } catch (IOException e) {
            throw new BenchReportException("Failed to list bench results " + rawDir + ": " + e.getMessage(), e);
        }
    }
}
