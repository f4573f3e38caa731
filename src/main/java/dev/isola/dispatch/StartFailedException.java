package dev.isola.dispatch;

import dev.isola.IsolaException;

/** An instance could not be brought to ready. The message is safe to show to the caller. */
public final class StartFailedException extends IsolaException {
    public StartFailedException(String message) {
        super(message);
    }

    public StartFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
