package dev.isola.dispatch;

import dev.isola.function.DeployedFunction;
import dev.isola.sandbox.spi.Instance;

import java.util.OptionalLong;

/**
 * Starts one instance of a function version and returns it once it is ready to serve. The seam between the pool's
 * bookkeeping and the sandboxes: production uses {@link SandboxLauncher}, unit tests a fake.
 */
public interface Launcher {
    /** Backend type the instance will run on. */
    String backend(DeployedFunction function);

    /**
     * Blocks until the instance is ready, telling readiness with {@code probe} (and the instance's callback); throws
     * {@link StartFailedException} with a reason a person can act on.
     */
    Instance launch(DeployedFunction function, String instanceId, EndpointProbe probe);

    /** Whether the function's backend keeps sandboxes on standby ({@code scaling.standby}). */
    default boolean offersStandby(DeployedFunction function) {
        return false;
    }

    /**
     * Creates a sandbox of the function ahead of need, not started, once no other start is in flight (it must not
     * compete with a burst); blocks. Throws {@link StartFailedException}.
     */
    default Prepared standby(DeployedFunction function, String instanceId) {
        throw new StartFailedException("fn=" + function.name() + ": its backend keeps no sandboxes on standby");
    }

    /** A sandbox made by {@link #standby}: exactly one of {@link #start} and {@link #close} is called. */
    interface Prepared extends AutoCloseable {
        /** The id of the instance it becomes. */
        String id();

        OptionalLong pid();

        /** Starts it and blocks until it serves, as {@link #launch} does; throws {@link StartFailedException}. */
        Instance start(EndpointProbe probe);

        /** Removes it unstarted. Never throws. */
        @Override
        void close();
    }
}
