package dev.isola.net;

import dev.isola.IsolaException;

/** The instance network could not give an instance its place: no address left, a relay that cannot open. */
public final class NetworkException extends IsolaException {
    public NetworkException(String message) {
        super(message);
    }

    public NetworkException(String message, Throwable cause) {
        super(message, cause);
    }
}
