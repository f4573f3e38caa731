package dev.isola.bench.report;

import java.nio.file.Path;

/**
 * Turns one {@code isola bench} run directory into its summary, figures and HTML report.
 */
public final class BenchReport {

    private BenchReport() {
    }

    /** Reads {@code raw/*.csv} and {@code metadata.json} under {@code runDir} and writes the report files there. */
    public static void render(Path runDir) {
        throw new UnsupportedOperationException("not yet implemented: " + runDir);
    }
}
