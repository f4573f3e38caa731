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
        Manifest m = new Manifest(FunctionName.of(name), Runtime.GO, ".", Map.of(), Optional.empty(), Optional.empty(), false,
                new Limits(Limits.DEFAULT_MEMORY, 1, timeout),
                new Scaling(concurrency, min, max, idle, singleUse));
        return new DeployedFunction(m, 1, new Artifact(Runtime.GO, Path.of("/nonexistent"), List.of("./fn")), "sha",
                Instant.EPOCH);
    }
}
