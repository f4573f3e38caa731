package dev.isola.sandbox.oci;

import dev.isola.host.HostException;
import dev.isola.host.ProcessRunner;
import dev.isola.sandbox.spi.SandboxException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A mount namespace an OCI runtime runs in when it needs the host's mounts changed a little: a copy of the host's
 * with one command applied (crun on hybrid cgroup hosts: the cgroup2 mount unmounted; runsc: an empty tmpfs over
 * {@code /proc/sys/net}). Made once per platform run and kept by a bind mount of its {@code /proc/<pid>/ns/mnt}
 * on {@code <dir>/ns} (util-linux {@code unshare --mount=FILE}), so each runtime command is
 * {@code nsenter --mount=<dir>/ns <runtime> ...}: one process more than the runtime alone, where a new namespace
 * per command ({@code unshare}, {@code sh}, the change, then the runtime) was three.
 *
 * <p>The namespace must see the network namespaces made later by {@code ip netns add} under {@code /run/netns},
 * which runtimes join by path: it is made a slave of the host's mounts, and {@code /run/netns} is made a shared
 * mount (as {@code ip netns} does itself) before it is copied, so mounts and unmounts there reach it. {@code <dir>}
 * is a private bind mount of itself, because {@code unshare} cannot bind a namespace on a shared mount (on systemd
 * hosts everything is shared). {@link #remove} unmounts both.
 */
final class RuntimeMountNamespace {
    private static final Path NETNS_DIR = Path.of("/run/netns");

    private final Path dir;

    private RuntimeMountNamespace(Path dir) {
        this.dir = dir;
    }

    /**
     * Makes the namespace in {@code dir} (created if missing), replacing one an earlier run left there, and runs
     * {@code change} (a command, not a shell line) in it.
     */
    static RuntimeMountNamespace create(ProcessRunner runner, Path dir, List<String> change) {
        RuntimeMountNamespace ns = new RuntimeMountNamespace(dir.toAbsolutePath());
        remove(runner, ns.dir);
        try {
            Files.createDirectories(ns.dir);
            Files.createDirectories(NETNS_DIR);
        } catch (IOException e) {
            throw new UncheckedIOException("Failed to create " + ns.dir + " for a runtime's mount namespace", e);
        }
        String d = ns.dir.toString();
        String netns = NETNS_DIR.toString();
        List<String> unshare = new ArrayList<>(List.of("unshare", "--mount=" + d + "/ns", "--propagation", "slave"));
        unshare.addAll(change);
        try {
            runner.run(List.of("/bin/sh", "-ec",
                    // /run/netns shared (a bind mount of itself first if it is no mount point yet), as ip netns does.
                    "mount --make-shared " + netns + " 2>/dev/null || { mount --bind " + netns + " " + netns
                            + " && mount --make-shared " + netns + "; }\n"
                            + "mount --bind " + d + " " + d + "\n"
                            + "mount --make-private " + d + "\n"
                            + ": > " + d + "/ns\n"));
            runner.run(unshare);
        } catch (HostException e) {
            remove(runner, ns.dir);
            throw e;
        }
        return ns;
    }

    /** What runs a command in this namespace. */
    List<String> prefix() {
        return List.of("nsenter", "--mount=" + dir.resolve("ns"));
    }

    /**
     * Unmounts the namespace's file and the directory's own bind mount and deletes the directory; the namespace
     * goes once no process is left in it. Missing pieces are fine (nothing was made, or a crash left half).
     */
    static void remove(ProcessRunner runner, Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        // umount -l: a runtime command still running in the namespace does not keep it from being unlinked.
        runner.quietly(List.of("umount", "-l", dir.resolve("ns").toString()));
        runner.quietly(List.of("umount", "-l", dir.toString()));
        try {
            Files.deleteIfExists(dir.resolve("ns"));
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            throw new SandboxException("Failed to remove a runtime's mount namespace in " + dir + ": "
                    + e.getMessage(), e);
        }
    }
}
