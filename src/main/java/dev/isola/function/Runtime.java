package dev.isola.function;

import java.util.Locale;

/** How a function's source turns into something runnable. */
public enum Runtime {
    /** Go module, built once into a static binary (CGO off). */
    GO,
    /** Node.js script and its files, run by the host's node. */
    NODE,
    /**
     * A WSGI application (PEP 3333), handler mode only: Isola's wrapper serves it with waitress on the host's
     * Python 3 ({@link HostPython}), both shared read-only with the sandboxes.
     */
    PYTHON,
    /** A ready executable shipped in the archive. */
    BINARY;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
