package dev.isola.function;

import dev.isola.host.ProcessRunner;

import java.nio.file.Path;

/**
 * Turns a function's unpacked sources into its backend-neutral {@link Artifact}: a directory that is the whole root
 * filesystem of the function, and the command that starts it.
 */
public interface FunctionBuilder {
    /**
     * A builder using the host's toolchains; {@code cacheDir} keeps Go's build caches between builds. As root, builds
     * run jailed and do not see {@code stateDir}; otherwise directly.
     */
    static FunctionBuilder create(ProcessRunner runner, Path cacheDir, Path stateDir, boolean asRoot) {
        return new HostFunctionBuilder(runner, cacheDir, stateDir, asRoot,
                HostFunctionBuilder.findGo(runner.executables()), HostFunctionBuilder.GO_BUILD_TIMEOUT);
    }

    /**
     * Builds {@code sourceDir} (which the builder may modify, e.g. add a {@code go.mod}) into {@code outDir}, which
     * must be absent or empty.
     *
     * @throws BuildFailedException if the sources do not build; {@code outDir} is then deleted
     */
    Artifact build(Manifest manifest, Path sourceDir, Path outDir);
}
