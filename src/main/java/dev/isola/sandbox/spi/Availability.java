package dev.isola.sandbox.spi;

/** Result of {@link SandboxProvider#probe()}: whether the backend can run here, and a reason a person can act on. */
public record Availability(boolean available, String detail) {
    public static Availability yes(String detail) {
        return new Availability(true, detail);
    }

    public static Availability no(String reason) {
        return new Availability(false, reason);
    }
}
