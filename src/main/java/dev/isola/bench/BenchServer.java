package dev.isola.bench;

import dev.isola.config.AdminListener;
import dev.isola.config.IsolaConfig;
import dev.isola.config.NodeConfig;
import dev.isola.config.TrustPolicy;
import dev.isola.host.FileTrees;
import dev.isola.server.IsolaServer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A real Isola for one backend of a run, in this JVM: 127.0.0.1 on a free port, a fresh temporary state directory
 * (so no function or instance of another run or of a user's server is in the way), and the run's persistent build
 * cache (Go builds, guest kernels) as its {@code buildCache}. Experiments reach it only over HTTP. {@link #close()} stops the server,
 * which stops every instance, then deletes the state directory.
 */
final class BenchServer implements AutoCloseable {
    private final Path stateDir;
    private final IsolaServer server;

    private BenchServer(Path stateDir, IsolaServer server) {
        this.stateDir = stateDir;
        this.server = server;
    }

    /** A memory budget no run reaches: 1 PiB of limits. */
    private static final long UNBOUNDED_MEMORY = 1L << 50;

    static BenchServer start(String backend, Path buildCache) {
        Path state;
        try {
            state = Files.createTempDirectory("isola-bench-");
        } catch (IOException e) {
            throw new BenchException("Failed to create a state directory: " + e.getMessage(), e);
        }
        try {
            Files.createDirectories(buildCache);
            IsolaConfig config = IsolaConfig.defaults().withHost("127.0.0.1").withPort(0).withStateDir(state)
                    .withDefaultBackend(backend).withBuildCache(buildCache.toAbsolutePath())
                    // The study measures the process backend as its baseline: the operator running bench allows it.
                    .withTrust(TrustPolicy.permissive()).withAdmin(new AdminListener("127.0.0.1", 0))
                    // The study's bursts start 100 instances of its 512Mi functions at once, past what a node's memory
                    // budget would let them have; they use a few MiB each. The density experiment measures how many
                    // the host holds, not where an operator's bound (nodeMaxInstances, 4,096 by default) would stop.
                    .withNode(new NodeConfig(NodeConfig.MAX_INSTANCES, UNBOUNDED_MEMORY))
                    // A start may wait for its turn and boot as long as a bench call waits for its answer: the bench
                    // measures how long a burst takes on this host, not where an operator's limit would cut it.
                    .withStartTimeout(BenchProfile.paper(1).requestTimeout());
            return new BenchServer(state, IsolaServer.start(config));
        } catch (IOException | RuntimeException e) {
            FileTrees.deleteQuietly(state);
            throw new BenchException("Failed to start Isola with backend " + backend + ": " + e.getMessage(), e);
        }
    }

    BenchClient client() {
        return new BenchClient(server.baseUri(), server.adminUri(), server.adminToken());
    }

    @Override
    public void close() {
        try {
            server.close();
        } finally {
            // The cache link is removed, never followed. Best effort: a leftover temp directory is harmless and
            // named isola-bench-*.
            FileTrees.deleteQuietly(stateDir);
        }
    }
}
