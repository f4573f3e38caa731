package dev.isola.cli;

import dev.isola.IsolaException;

/**
 * A failure the person at the terminal can act on. Its message is printed as-is (after "Error: "), so it must be a
 * whole sentence that says what went wrong and, where possible, what to do next. Exit code 1.
 */
class CliException extends IsolaException {
    CliException(String message) {
        super(message);
    }

    CliException(String message, Throwable cause) {
        super(message, cause);
    }
}
