package dev.isola.dispatch;

import dev.isola.function.Artifact;
import dev.isola.function.DeployedFunction;
import dev.isola.function.FunctionName;
import dev.isola.function.Limits;
import dev.isola.function.Manifest;
import dev.isola.function.Runtime;
import dev.isola.function.Scaling;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Test functions with chosen scaling. */
final class Functions {
    private Functions() {
    }

    /** Calls time out after {@link #TIMEOUT}. */
    static final Duration TIMEOUT = Duration.ofSeconds(5);

    static DeployedFunction withScaling(String name, int concurrency, int min, int max, Duration idle, boolean singleUse) {
        return withScaling(name, concurrency, min, max, idle, singleUse, TIMEOUT);
    }

    static DeployedFunction withScaling(String name, int concurrency, int min, int max, Duration idle, boolean singleUse,
                                        Duration timeout) {
        return deployed(name, 1, new Limits(Limits.DEFAULT_MEMORY, 1, timeout),
                new Scaling(concurrency, min, max, idle, singleUse, 0, true));
    }

    /** A function with {@code concurrency: 1} whose instances may take {@code memoryBytes} each. */
    static DeployedFunction withMemory(String name, long memoryBytes) {
        return deployed(name, 1, new Limits(memoryBytes, 1, TIMEOUT),
                new Scaling(1, 0, 4, Duration.ofMinutes(1), false, 0, true));
    }

    /** Version {@code version} of a function with {@code concurrency: 1} that keeps {@code standby} sandboxes. */
    static DeployedFunction withStandby(String name, int version, int standby, boolean singleUse) {
        return deployed(name, version, new Limits(Limits.DEFAULT_MEMORY, 1, TIMEOUT),
                new Scaling(1, 0, 8, Duration.ofMinutes(1), singleUse, standby, true));
    }

    /** The next version of {@code function}: the same manifest under a new version number. */
    static DeployedFunction nextVersion(DeployedFunction function) {
        return new DeployedFunction(function.manifest(), function.version() + 1, function.artifact(),
                function.sourceSha256(), function.deployedAt());
    }

    private static DeployedFunction deployed(String name, int version, Limits limits, Scaling scaling) {
        Manifest m = new Manifest(FunctionName.of(name), Runtime.GO, ".", Map.of(), Optional.empty(), Optional.empty(), false,
                limits, scaling);
        return new DeployedFunction(m, version, new Artifact(Runtime.GO, Path.of("/nonexistent"), List.of("./fn")), "sha",
                Instant.EPOCH);
    }
}
