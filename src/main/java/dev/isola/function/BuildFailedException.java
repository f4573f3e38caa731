package dev.isola.function;

/**
 * The function's sources did not build. The message carries the toolchain's output verbatim (bounded), because the
 * deployer needs the compiler's own words to fix the code; it is not an internal fault.
 */
public final class BuildFailedException extends InvalidFunctionException {
    public BuildFailedException(String message) {
        super("build_failed", message);
    }
}
