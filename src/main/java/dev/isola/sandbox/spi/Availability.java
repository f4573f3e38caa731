package dev.isola.sandbox.spi;

/** Whether a backend can run on this host: the result of {@link SandboxBackend#probe()}, never an exception. */
public sealed interface Availability {
    /** It runs well here. */
    record Ready(String detail) implements Availability {
    }

    /**
     * It runs here, but only in a slow fallback mode (a microVM under software emulation): a function may choose
     * it, {@code auto} does not.
     */
    record Slow(String detail, String why) implements Availability {
    }

    /** It cannot run here, and why, in words a person can act on. */
    record Unavailable(String reason) implements Availability {
    }

    default boolean runs() {
        return !(this instanceof Unavailable);
    }

    /** One line for {@code isola doctor} and error messages. */
    default String describe() {
        return switch (this) {
            case Ready r -> r.detail();
            case Slow s -> s.detail() + " (slow: " + s.why() + ")";
            case Unavailable u -> u.reason();
        };
    }
}
