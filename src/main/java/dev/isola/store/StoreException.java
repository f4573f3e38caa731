package dev.isola.store;

import dev.isola.IsolaException;

/** The function store could not read or write its database. Messages read "Failed to <verb> <what>: <cause>". */
public final class StoreException extends IsolaException {
    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
