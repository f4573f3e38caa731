package dev.isola.host;

import dev.isola.IsolaException;

/** A host program could not be found, started or finished, or a host file operation failed. */
public class HostException extends IsolaException {
    public HostException(String message) {
        super(message);
    }

    public HostException(String message, Throwable cause) {
        super(message, cause);
    }
}
