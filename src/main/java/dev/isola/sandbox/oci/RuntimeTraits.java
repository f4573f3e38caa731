package dev.isola.sandbox.oci;

import dev.isola.sandbox.spi.Isolation;

import java.util.List;

/**
 * What sets one OCI runtime apart from another in the way Isola drives it.
 *
 * @param runtime              the binary and backend type: runc, crun or runsc
 * @param globalFlags          flags before every subcommand (runsc: platform and network mode)
 * @param mountNamespaceChange the change to a copy of the host's mounts this runtime needs on this host, as a command
 *                             run in that copy (then every runtime command runs in it, {@link RuntimeMountNamespace});
 *                             empty to run in the host's mount namespace
 * @param seccompProfile       whether containers get {@link SeccompProfile} (runc, crun); gVisor filters its own
 *                             sandbox instead
 * @param launch               how a created container is started: by Isola itself through the container's exec
 *                             FIFO (runc, crun), or by {@code <runtime> start} (runsc, whose sandbox waits for the
 *                             runtime's own control message); either way no runtime process is left per instance
 * @param ownNetworkStack      whether the sandbox has a network stack of its own, which dies without closing its
 *                             connections (runsc)
 */
record RuntimeTraits(String runtime, Isolation isolation, List<String> globalFlags, List<String> mountNamespaceChange,
                     boolean seccompProfile, Launch launch, boolean ownNetworkStack) {
    /**
     * How a created container is started. After runc's or crun's {@code create} the container's init waits on
     * {@code exec.fifo} in the container's state directory; the runtime's {@code start} is one byte through it, whose
     * direction differs: runc's init writes it (start reads), crun's reads it (start writes). Isola does that itself
     * instead of running {@code start}: one process fewer per start. gVisor's sandbox has no FIFO: {@code runsc start}
     * sends it a message on its control socket, so Isola runs that command; its standby sandboxes are started when
     * made, their program held on a {@link dev.isola.host.StdinGate} ({@link OciBackend#heldStandby()}).
     */
    enum Launch {
        CREATE_THEN_READ_FIFO, CREATE_THEN_WRITE_FIFO, CREATE_THEN_START
    }

    RuntimeTraits {
        globalFlags = List.copyOf(globalFlags);
        mountNamespaceChange = List.copyOf(mountNamespaceChange);
    }
}
