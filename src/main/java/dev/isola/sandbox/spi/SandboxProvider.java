package dev.isola.sandbox.spi;

import java.nio.file.Path;

/**
 * A kind of sandbox (process, runc, runsc, microvm, ...). Implementations are found through
 * {@link java.util.ServiceLoader} and keyed by {@link #type()}; a duplicate type fails start-up.
 *
 * <p>The dispatcher owns readiness: {@link #start} returns as soon as the sandbox has been launched, and the
 * dispatcher then waits for the readiness callback or probes {@link Instance#endpoint()}.
 */
public interface SandboxProvider {
    /** Stable name used in function.yaml ({@code backend:}), metrics labels and the API. */
    String type();

    /** Whether this host can run this backend, and why not. Never throws; may take a few seconds. */
    Availability probe();

    /**
     * Whether {@code defaultBackend: auto} may choose this backend when it is available: false when it runs here
     * only in a slow fallback mode (a microVM under software emulation). May take a few seconds the first time.
     */
    default boolean suitableAsDefault() {
        return true;
    }

    /** Whether instances are isolated from the host; {@code false} makes the platform warn loudly. */
    boolean isolating();

    /**
     * Launches one instance. Throws {@link SandboxException} when it cannot be launched; on failure nothing the
     * attempt created is left behind.
     */
    Instance start(InstanceSpec spec);

    /**
     * Called once when the platform starts on {@code stateDir}, before any instance starts: removes what an earlier,
     * crashed run on this state directory left behind (and nothing of another Isola's on this host), and tells the
     * backend where this run keeps its state.
     */
    default void open(Path stateDir) {
    }

    /**
     * Slower, deeper checks for {@code isola doctor} (one line each), such as which variants of the backend work
     * here. Never throws; each check has its own deadline.
     */
    default java.util.List<String> diagnostics() {
        return java.util.List.of();
    }

    /**
     * Ids of the instances an earlier run of the platform on {@code stateDir} left: each instance has a work
     * directory {@code <state>/run/<id>} until it is stopped, so after a crash these name exactly that run's
     * sandboxes, and never another Isola's on the same host.
     */
    static java.util.List<String> leftoverInstanceIds(Path stateDir) {
        try (var dirs = java.nio.file.Files.list(stateDir.resolve("run"))) {
            return dirs.filter(java.nio.file.Files::isDirectory).map(d -> d.getFileName().toString()).toList();
        } catch (java.io.IOException e) {
            return java.util.List.of();
        }
    }

    /** Removes shared host resources (a bridge, say) once the platform stops and no instance is left. */
    default void shutdown() {
    }
}
