package dev.isola.dispatch;

import dev.isola.IsolaException;

/**
 * An instance could not be brought to ready. The message is the platform's own words, safe to show to the caller;
 * what the function printed goes only to the operator ({@link #getMessage()}, logged) and to the function's logs,
 * because a caller of {@code /function/...} is not trusted with the function's console (it may print secrets).
 */
public final class StartFailedException extends IsolaException {
    private final String publicMessage;

    public StartFailedException(String message) {
        this(message, "");
    }

    /** {@code output}: the function's last lines, for the operator; empty if it printed nothing. */
    public StartFailedException(String message, String output) {
        super(message + output);
        this.publicMessage = output.isEmpty() ? message : message + "; what it printed is in its logs";
    }

    public StartFailedException(String message, Throwable cause) {
        super(message, cause);
        this.publicMessage = message;
    }

    /** What a caller may see. */
    public String publicMessage() {
        return publicMessage;
    }
}
