package dev.isola.sandbox.oci;

import dev.isola.host.Pidfd;
import dev.isola.host.PidfdExits;
import dev.isola.host.ProcessStop;
import dev.isola.net.InstanceNetwork;
import dev.isola.sandbox.spi.Console;
import dev.isola.sandbox.spi.Instance;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A function in an OCI container that runs detached: created and started by Isola, with no runtime process, thread
 * or pipe of the platform's left per instance. The container's init is held by a {@link Pidfd} (liveness, signals);
 * its output goes to the {@link Console} file it inherited from {@code create}. Its parent is the host's init, which
 * collects its exit status, so an exit is told apart only by what the cgroup recorded: a kill by the out-of-memory
 * killer, or otherwise an exit.
 */
final class DetachedContainer implements Instance {
    private static final Duration GRACE = Duration.ofSeconds(2);

    private final String id;
    private final OciBackend backend;
    private final Pidfd init;
    private final InetSocketAddress endpoint;
    private final InstanceNetwork.Attachment network;
    private final Console console;
    private final long memoryLimit;
    private final AtomicBoolean closing = new AtomicBoolean();

    DetachedContainer(String id, OciBackend backend, Pidfd init, InetSocketAddress endpoint,
                      InstanceNetwork.Attachment network, Console console, long memoryLimit) {
        this.id = id;
        this.backend = backend;
        this.init = init;
        this.endpoint = endpoint;
        this.network = network;
        this.console = console;
        this.memoryLimit = memoryLimit;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public InetSocketAddress endpoint() {
        return endpoint;
    }

    @Override
    public boolean isAlive() {
        return init.isAlive();
    }

    @Override
    public OptionalLong pid() {
        return OptionalLong.of(init.pid());
    }

    /**
     * gVisor's network stack dies with its sandbox without closing the gateway's connections, so their end must be
     * told ({@link PidfdExits}); with the host kernel's stack they close as the process exits.
     */
    @Override
    public CompletionStage<Void> onExit() {
        return backend.traits().ownNetworkStack() ? backend.exits().onExit(init) : Instance.super.onExit();
    }

    @Override
    public Optional<String> exitReason() {
        if (init.isAlive()) {
            return Optional.empty();
        }
        // The cgroup stays until the container is deleted (in close), so its counter is still there to read.
        if (!closing.get() && backend.oomKills(id) > 0) {
            return Optional.of("was killed by the kernel: out of memory (its limit is " + (memoryLimit >> 20)
                    + " MiB)");
        }
        return Optional.of("exited");
    }

    /**
     * SIGTERM to the container's init, a grace period, SIGKILL, then {@code delete --force} (the runtime's state and
     * the cgroup), then the namespace and its veth. The signals go through the pidfd, so they reach that process and
     * no other, and the container is deleted by its unique id under Isola's own state root.
     */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        try {
            ProcessStop.of(init).term(GRACE).run(GRACE);
            backend.deleteQuietly(id);
            console.drain();
        } finally {
            init.close();
            network.close();
        }
    }
}
