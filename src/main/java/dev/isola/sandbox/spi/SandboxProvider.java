package dev.isola.sandbox.spi;

/**
 * A kind of sandbox (process, runc, runsc, microvm, ...), found through {@link java.util.ServiceLoader} and keyed by
 * {@link #type()}; a duplicate type fails start-up. It creates the {@link SandboxBackend} of one platform run from a
 * {@link SandboxContext}: its own configuration section, the state directory, the host network, the process runner
 * and the clock. Creating one does nothing on the host.
 */
public interface SandboxProvider {
    /** Stable name used in function.yaml ({@code backend:}), the configuration, metrics labels and the API. */
    String type();

    /** How strongly instances are kept from the host: {@code auto} and the isolation floor rank backends by it. */
    Isolation isolation();

    /** The backend for one run; fails with a {@code ConfigException} naming the key if its section is invalid. */
    SandboxBackend create(SandboxContext context);
}
