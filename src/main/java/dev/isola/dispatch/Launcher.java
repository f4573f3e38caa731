package dev.isola.dispatch;

import dev.isola.function.DeployedFunction;
import dev.isola.sandbox.spi.Instance;

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
}
