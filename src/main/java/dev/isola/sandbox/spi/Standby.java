package dev.isola.sandbox.spi;

import java.util.OptionalLong;

/**
 * A sandbox created with everything but its start (network attached, cgroup with the function's limits, root file
 * system, seccomp filter), waiting without using CPU: {@link SandboxBackend#create}. Exactly one of {@link #start()}
 * and {@link #close()} is called.
 */
public interface Standby extends AutoCloseable {
    /**
     * Starts the function in it and returns the instance, as {@link SandboxBackend#start} would have. Throws
     * {@link SandboxException} when it cannot start; on failure nothing of the sandbox is left behind.
     */
    Instance start();

    /** Host process id of the sandbox's waiting process, for accounting; empty when it has none. */
    OptionalLong pid();

    /** Removes the sandbox without starting it. Idempotent; never throws. */
    @Override
    void close();
}
