package dev.isola.bench;

import dev.isola.IsolaException;

/** A benchmark step that could not be carried out (deploy refused, tool missing, instance never ready). */
public final class BenchException extends IsolaException {
    public BenchException(String message) {
        super(message);
    }

    public BenchException(String message, Throwable cause) {
        super(message, cause);
    }
}
