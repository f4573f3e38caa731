package dev.isola;

/** Root of Isola's unchecked faults. Messages read "Failed to <verb> <what> <id>: <cause>". */
public class IsolaException extends RuntimeException {
    public IsolaException(String message) {
        super(message);
    }

    public IsolaException(String message, Throwable cause) {
        super(message, cause);
    }
}
