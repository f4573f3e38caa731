package dev.isola.sandbox.spi;

import dev.isola.IsolaException;

/** A sandbox could not be launched or stopped. */
public class SandboxException extends IsolaException {
    public SandboxException(String message) {
        super(message);
    }

    public SandboxException(String message, Throwable cause) {
        super(message, cause);
    }
}
