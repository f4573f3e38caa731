package dev.isola.dispatch;

import dev.isola.Ticker;
import dev.isola.function.Artifact;
import dev.isola.function.DeployedFunction;
import dev.isola.function.FunctionName;
import dev.isola.function.Limits;
import dev.isola.function.Manifest;
import dev.isola.function.Runtime;
import dev.isola.function.Scaling;
import dev.isola.metrics.Metrics;
import dev.isola.sandbox.spi.Instance;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
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

    /**
     * A dispatcher whose launcher starts these at once, each at an address of its own, with {@code queueLimit}
     * waiting calls at most.
     */
    static Dispatcher dispatcher(int queueLimit) {
        Launcher launcher = new Launcher() {
            private int next;

            @Override
            public String backend(DeployedFunction function) {
                return "bench";
            }

            @Override
            public synchronized Instance launch(DeployedFunction function, String instanceId, EndpointProbe probe) {
                return new IdleInstance(instanceId, address(next++));
            }
        };
        return Dispatcher.create(new Dispatcher.Parts(launcher, Ticker.SYSTEM, InstantSource.system(),
                Metrics.NOOP, queueLimit, Duration.ZERO, InstanceEvents.NONE, EndpointProbe.CONNECT,
                Duration.ofSeconds(5), NodeBudget.unlimited()));
    }

    private static InetSocketAddress address(int i) {
        try {
            byte[] ip = {10, 88, (byte) (i >> 8), (byte) i};
            return new InetSocketAddress(InetAddress.getByAddress(ip), 8080);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
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
