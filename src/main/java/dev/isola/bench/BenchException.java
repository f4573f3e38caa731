package dev.isola.bench;

import dev.isola.IsolaException;
import dev.isola.bench.result.Sample;

/** A benchmark step that could not be carried out (deploy refused, tool missing, instance never ready). */
public final class BenchException extends IsolaException {
    private final boolean timedOut;

    public BenchException(String message) {
        this(message, null, false);
    }

    public BenchException(String message, Throwable cause) {
        this(message, cause, false);
    }

    private BenchException(String message, Throwable cause, boolean timedOut) {
        super(message, cause);
        this.timedOut = timedOut;
    }

    /** A wait that ran out of time (recorded with status {@code timeout} rather than {@code error}). */
    static BenchException timedOut(String message) {
        return new BenchException(message, null, true);
    }

    Sample.Status status() {
        return timedOut ? Sample.Status.TIMEOUT : Sample.Status.ERROR;
    }
}
