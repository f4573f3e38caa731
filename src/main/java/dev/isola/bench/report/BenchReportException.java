package dev.isola.bench.report;

import dev.isola.IsolaException;

/** The report could not read a run directory or write one of its files. Messages name the file (and line). */
public final class BenchReportException extends IsolaException {
    public BenchReportException(String message) {
        super(message);
    }

    public BenchReportException(String message, Throwable cause) {
        super(message, cause);
    }
}
