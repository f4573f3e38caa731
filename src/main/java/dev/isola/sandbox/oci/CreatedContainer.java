package dev.isola.sandbox.oci;

import dev.isola.host.Pidfd;
import dev.isola.host.StdinGate;
import dev.isola.net.InstanceNetwork;
import dev.isola.sandbox.spi.InstanceSpec;
import dev.isola.sandbox.spi.SandboxException;
import dev.isola.sandbox.spi.Standby;

import java.net.InetSocketAddress;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A container made by {@code <runtime> create} whose init waits on the exec FIFO, blocked in the kernel and using no
 * CPU: what a start of runc or crun goes through, and what {@code scaling.standby} keeps ahead of need.
 * {@link #start()} is the hand-shake through the FIFO and returns the running {@link DetachedContainer}. A gVisor
 * sandbox on standby is started already, its program blocked reading its gate; {@link #start()} opens the gate.
 */
final class CreatedContainer implements Standby {
    private final InstanceSpec spec;
    private final OciBackend backend;
    private final Pidfd init;
    private final InetSocketAddress endpoint;
    private final InstanceNetwork.Attachment network;
    /** The gate a started gVisor sandbox's program waits on ({@link OciBackend#heldStandby()}); else null. */
    private final StdinGate gate;
    private final AtomicBoolean used = new AtomicBoolean();

    CreatedContainer(InstanceSpec spec, OciBackend backend, Pidfd init, InetSocketAddress endpoint,
                     InstanceNetwork.Attachment network, StdinGate gate) {
        this.spec = spec;
        this.backend = backend;
        this.init = init;
        this.endpoint = endpoint;
        this.network = network;
        this.gate = gate;
    }

    @Override
    public DetachedContainer start() {
        if (!used.compareAndSet(false, true)) {
            throw new SandboxException("container " + spec.id() + " was started or removed already");
        }
        try {
            if (!backend.release(spec.id(), init, gate)) {
                throw new SandboxException("the container's init exited before it ran the function");
            }
            return new DetachedContainer(spec.id(), backend, init, endpoint, network, spec.console(),
                    spec.limits().memoryBytes());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            remove();
            throw new SandboxException("interrupted while starting container " + spec.id(), e);
        } catch (RuntimeException e) {
            remove();
            throw e instanceof SandboxException ? e : new SandboxException("Failed to start container " + spec.id()
                    + ": " + e.getMessage(), e);
        }
    }

    @Override
    public OptionalLong pid() {
        return OptionalLong.of(init.pid());
    }

    @Override
    public void close() {
        if (used.compareAndSet(false, true)) {
            remove();
        }
    }

    /** Its init never ran the function: no grace is owed, SIGKILL, then delete and the network. */
    private void remove() {
        if (gate != null) {
            gate.close(); // its program reads end of file and exits, never run
        }
        try {
            init.signal(Pidfd.SIGKILL);
            backend.deleteQuietly(spec.id());
        } finally {
            init.close();
            network.close();
        }
    }
}
