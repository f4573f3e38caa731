package dev.isola.dispatch;

import dev.isola.function.Artifact;
import dev.isola.function.DeployedFunction;
import dev.isola.function.FunctionName;
import dev.isola.function.Limits;
import dev.isola.function.Manifest;
import dev.isola.function.Runtime;
import dev.isola.function.Scaling;
import dev.isola.sandbox.spi.Instance;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** An instance that is always alive and never serves: the dispatcher's benchmarks measure the dispatcher alone. */
record IdleInstance(String id, InetSocketAddress endpoint) implements Instance {
    /** A Go function with {@code scaling}, deployed as version 1, for a dispatcher whose launcher starts these. */
    static DeployedFunction function(FunctionName name, Scaling scaling) {
        Manifest manifest = new Manifest(name, Runtime.GO, ".", Map.of(), Optional.empty(), Optional.empty(), false,
                Limits.DEFAULT, scaling);
        return new DeployedFunction(manifest, 1, new Artifact(Runtime.GO, Path.of("/"), List.of("./fn")), "sha",
                Instant.EPOCH);
    }

    @Override
    public boolean isAlive() {
        return true;
    }

    @Override
    public Optional<String> exitReason() {
        return Optional.empty();
    }

    @Override
    public void close() {
    }
}
