package dev.isola.function;

import dev.isola.IsolaException;

/** A deploy request that cannot be accepted: bad name, manifest or archive. Maps to HTTP 400/413/422. */
public class InvalidFunctionException extends IsolaException {
    private final String code;

    public InvalidFunctionException(String code, String message) {
        super(message);
        this.code = code;
    }

    /** Stable machine-readable error code, e.g. {@code invalid_manifest}, sent as the {@code error} field. */
    public String code() {
        return code;
    }
}
