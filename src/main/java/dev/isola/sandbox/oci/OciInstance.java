package dev.isola.sandbox.oci;

import dev.isola.host.ProcessStop;
import dev.isola.net.InstanceNetwork;
import dev.isola.sandbox.spi.ChildProcessInstance;
import dev.isola.sandbox.spi.Console;

import java.net.InetSocketAddress;
import java.util.Optional;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * A function in an OCI container run by a foreground {@code <runtime> run} child of the platform (runsc; runc and crun
 * containers are {@link DetachedContainer}s).
 */
final class OciInstance extends ChildProcessInstance {
    private static final Duration GRACE = Duration.ofSeconds(2);

    private final OciBackend backend;
    private final InstanceNetwork.Attachment network;
    private final long memoryLimit;

    OciInstance(String id, OciBackend backend, Process process, InetSocketAddress endpoint,
                InstanceNetwork.Attachment network, Console console, long memoryLimit) {
        super(id, process, endpoint, console);
        this.backend = backend;
        this.network = network;
        this.memoryLimit = memoryLimit;
    }

    @Override
    public CompletionStage<Void> onExit() {
        return backend.traits().ownNetworkStack() ? childExit() : super.onExit();
    }

    @Override
    public Optional<String> exitReason() {
        if (process().isAlive()) {
            return Optional.empty();
        }
        int status = process().exitValue();
        // The runtime exits with the container's status. 137 = SIGKILL that Isola did not send (it is not closing):
        // inside a memory-limited cgroup that is the kernel's OOM killer. `runc run` deletes the cgroup as it exits,
        // so its oom_kill counter cannot be read afterwards to be certain; the message says "most likely".
        if (status == 137 && !closing()) {
            return Optional.of("was killed by the kernel (SIGKILL), most likely out of memory: its limit is "
                    + (memoryLimit >> 20) + " MiB");
        }
        return Optional.of(status > 128 ? "was killed by signal " + (status - 128) : "exited with status " + status);
    }

    /**
     * SIGTERM through {@code <runtime> kill}, a grace period, SIGKILL, then {@code delete -f} (container state and
     * cgroup) unless {@code run} has removed them as it exited, then the namespace and its veth. The container is
     * addressed by its unique id under Isola's own state root, so no other container can be hit.
     */
    @Override
    public void close() {
        if (!beginClose()) {
            return;
        }
        try {
            ProcessStop.of(process())
                    .then(() -> backend.quietly(backend.command("kill", id(), "15")), GRACE)
                    .then(() -> backend.quietly(backend.command("kill", id(), "9")), GRACE)
                    .run(GRACE);
            // Not niced, unlike the spare networks made ahead: deleting a container and its devices takes kernel
            // locks (cgroups, rtnl) that the starts of a burst need too, and a starved holder would stall them all.
            // (Tried at nice 19: bursts were no faster, bench/container-burst.sh.)
            if (backend.hasState(id())) {
                backend.deleteQuietly(id());
            }
            drainOutput();
        } finally {
            network.close();
        }
    }
}
