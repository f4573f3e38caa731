package dev.isola.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The directory of one run: {@code raw/<experiment>.csv}, {@code metadata.json}, then the report's files. A run never
 * writes into an earlier run's directory: the default is a new {@code bench/results/<UTC timestamp>} (with a suffix
 * if two runs start in the same second), and a directory given with {@code --out} must not exist or be empty.
 */
public final class RunDirectory {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private RunDirectory() {
    }

    /** A fresh {@code <parent>/<UTC timestamp>[-k]}, not yet created. */
    public static Path fresh(Path parent, Instant now) {
        Path dir = parent.resolve(STAMP.format(now));
        for (int k = 2; Files.exists(dir); k++) {
            dir = parent.resolve(STAMP.format(now) + "-" + k);
        }
        return dir;
    }

    /** Creates the directory and {@code raw/}; refuses a non-empty one so earlier results are never overwritten. */
    static void create(Path dir) {
        try {
            if (Files.isDirectory(dir)) {
                try (Stream<Path> entries = Files.list(dir)) {
                    if (entries.findAny().isPresent()) {
                        throw new BenchException("Failed to start the bench run: " + dir + " is not empty; results "
                                + "are never overwritten, pass a new or empty --out directory");
                    }
                }
            } else if (Files.exists(dir)) {
                throw new BenchException("Failed to start the bench run: " + dir + " exists and is not a directory");
            }
            Files.createDirectories(raw(dir));
        } catch (IOException e) {
            throw new BenchException("Failed to create the run directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Checks that a directory holds a run (for {@code isola bench report}). */
    public static void requireRun(Path dir) {
        if (!Files.isDirectory(raw(dir))) {
            throw new BenchException("Failed to read the bench run " + dir + ": no raw/ directory in it");
        }
    }

    static Path raw(Path dir) {
        return dir.resolve("raw");
    }

    /** Writes metadata.json atomically (temp file, then rename), so a reader never sees half of it. */
    static void writeMetadata(Path dir, Map<String, Object> metadata) {
        Path file = dir.resolve("metadata.json");
        try {
            Path tmp = Files.createTempFile(dir, "metadata", ".tmp");
            JSON.writeValue(tmp.toFile(), metadata);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new BenchException("Failed to write " + file + ": " + e.getMessage(), e);
        }
    }
}
