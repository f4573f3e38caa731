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
 * @param forwardsSignals      whether {@code <runtime> run} passes a SIGTERM it gets on to the container's process
 *                             and, once that exits, removes the container's state and cgroup itself (runc, crun):
 *                             stopping an instance then takes no runtime command at all, where {@code kill} and
 *                             {@code delete} were two more processes per instance
 * @param ownNetworkStack      whether the sandbox has a network stack of its own, which dies without closing its
 *                             connections (runsc)
 */
record RuntimeTraits(String runtime, Isolation isolation, List<String> globalFlags, List<String> mountNamespaceChange,
                     boolean seccompProfile, boolean forwardsSignals, boolean ownNetworkStack) {
    RuntimeTraits {
        globalFlags = List.copyOf(globalFlags);
        mountNamespaceChange = List.copyOf(mountNamespaceChange);
    }
}
