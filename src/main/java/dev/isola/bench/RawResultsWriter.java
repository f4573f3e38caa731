package dev.isola.bench;

import dev.isola.bench.result.Sample;
import dev.isola.bench.result.SampleCsv;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * Writes {@code raw/<experiment>.csv}, one file per experiment, appended and flushed row by row as values are
 * measured: a run stopped by Ctrl-C or a crash keeps everything measured so far, and the report (its
 * {@code RawResultsReader}) can be rendered from it. Thread-safe.
 */
final class RawResultsWriter implements AutoCloseable {
    private final Path dir;
    private final Map<String, Writer> open = new HashMap<>();
    private long rows;

    RawResultsWriter(Path dir) {
        this.dir = dir;
    }

    synchronized void append(Sample sample) {
        String experiment = sample.key().experiment();
        Path file = dir.resolve(experiment + ".csv");
        try {
            Writer w = open.get(experiment);
            if (w == null) {
                Files.createDirectories(dir);
                boolean fresh = !Files.exists(file);
                w = Files.newBufferedWriter(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                if (fresh) {
                    w.write(SampleCsv.HEADER);
                    w.write('\n');
                }
                open.put(experiment, w);
            }
            w.write(SampleCsv.line(sample));
            w.write('\n');
            w.flush();
            rows++;
        } catch (IOException e) {
            throw new UncheckedIOException("Failed to append to " + file, e);
        }
    }

    synchronized long rows() {
        return rows;
    }

    @Override
    public synchronized void close() {
        for (Writer w : open.values()) {
            try {
                w.close();
            } catch (IOException e) {
                // Every row was flushed when written; a failing close loses nothing.
            }
        }
        open.clear();
    }
}
