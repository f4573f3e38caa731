package dev.isola.sandbox.spi;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * One kind of sandbox as configured for one platform run, made by its {@link SandboxProvider}.
 *
 * <p>The dispatcher owns readiness: {@link #start} returns as soon as the sandbox has been launched, and the
 * dispatcher then waits for the readiness callback or probes {@link Instance#endpoint()}.
 *
 * <p>Life: {@link #reapLeftovers()} once when the platform starts, before any instance; {@link #start} for each
 * instance; {@link #shutdown()} once every instance has been closed.
 */
public interface SandboxBackend {
    /** Whether this host can run this backend, and why not. Never throws; may take a few seconds. */
    Availability probe();

    /**
     * A weaker isolation than the provider's {@link SandboxProvider#isolation()} when this host lacks what that
     * level needs (a microVM under software emulation, where the emulator is no security boundary): {@code auto},
     * the isolation floor and {@code isola doctor} read it through {@link Sandboxes.Entry#isolation()}. Never
     * throws; may probe like {@link #probe()}.
     */
    default Optional<Isolation> reducedIsolation() {
        return Optional.empty();
    }

    /**
     * Launches one instance. Throws {@link SandboxException} when it cannot be launched; on failure nothing the
     * attempt created is left behind.
     */
    Instance start(InstanceSpec spec);

    /** Whether {@link #create} is offered: sandboxes made ahead of need ({@code scaling.standby}). */
    default boolean offersStandby() {
        return false;
    }

    /**
     * Creates the sandbox of {@code spec} with everything but its start, which {@link Standby#start()} then does in a
     * fraction of a whole start. Only where {@link #offersStandby()}; throws {@link SandboxException} when it cannot
     * be created, leaving nothing behind.
     */
    default Standby create(InstanceSpec spec) {
        throw new SandboxException("this backend keeps no sandboxes on standby");
    }

    /**
     * Removes what an earlier, crashed run on this state directory left behind (and nothing of another Isola's on
     * this host); {@link SandboxContext#leftoverInstanceIds()} names that run's instances.
     */
    default void reapLeftovers() {
    }

    /**
     * Builds, blocking and with progress lines, what the first instance would otherwise wait for (a guest kernel),
     * so that {@code isola up} and the benchmarks do not time it. Does nothing when there is nothing to build.
     */
    default void prepare(Consumer<String> progress) {
    }

    /**
     * Slower, deeper checks for {@code isola doctor} (one line each), such as which variants of the backend work
     * here. Never throws; each check has its own deadline.
     */
    default List<String> diagnostics() {
        return List.of();
    }

    /** Removes what this backend shares between instances (a mount namespace, parent cgroups) once none is left. */
    default void shutdown() {
    }
}
