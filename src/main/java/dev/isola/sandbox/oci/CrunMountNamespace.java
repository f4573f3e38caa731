package dev.isola.sandbox.oci;

import dev.isola.net.HostCommand;
import dev.isola.sandbox.spi.SandboxException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The mount namespace crun runs in on hybrid cgroup hosts: a copy of the host's in which the cgroup2 mount at
 * {@code /sys/fs/cgroup/unified} is unmounted, so crun sees pure cgroup v1. Made once per platform run and kept
 * by a bind mount of its {@code /proc/<pid>/ns/mnt} on {@code <dir>/ns} (util-linux {@code unshare --mount=FILE}),
 * so each crun command is {@code nsenter --mount=<dir>/ns crun ...}: one process more than crun alone, where a new
 * namespace per command ({@code unshare}, {@code sh}, {@code umount}, then crun) was three.
 *
 * <p>The namespace must see the network namespaces made later by {@code ip netns add} under {@code /run/netns},
 * which crun joins by path: it is made a slave of the host's mounts, and {@code /run/netns} is made a shared mount
 * (as {@code ip netns} does itself) before it is copied, so mounts and unmounts there reach it. {@code <dir>} is a
 * private bind mount of itself, because {@code unshare} cannot bind a namespace on a shared mount (on systemd
 * hosts everything is shared). {@link #remove} unmounts both.
 */
final class CrunMountNamespace {
    static final Path UNIFIED = Path.of("/sys/fs/cgroup/unified");
    private static final Path NETNS_DIR = Path.of("/run/netns");

    private final Path dir;

    private CrunMountNamespace(Path dir) {
        this.dir = dir;
    }

    /** Makes the namespace in {@code dir} (created if missing), replacing one an earlier run left there. */
    static CrunMountNamespace create(Path dir) {
        CrunMountNamespace ns = new CrunMountNamespace(dir.toAbsolutePath());
        remove(ns.dir);
        try {
            Files.createDirectories(ns.dir);
            Files.createDirectories(NETNS_DIR);
        } catch (IOException e) {
            throw new UncheckedIOException("Failed to create " + ns.dir + " for crun's mount namespace", e);
        }
        String d = ns.dir.toString();
        String netns = NETNS_DIR.toString();
        HostCommand.run(List.of("/bin/sh", "-ec",
                // /run/netns shared (a bind mount of itself first if it is no mount point yet), as ip netns does.
                "mount --make-shared " + netns + " 2>/dev/null || { mount --bind " + netns + " " + netns
                        + " && mount --make-shared " + netns + "; }\n"
                        + "mount --bind " + d + " " + d + "\n"
                        + "mount --make-private " + d + "\n"
                        + ": > " + d + "/ns\n"
                        + "unshare --mount=" + d + "/ns --propagation slave umount " + UNIFIED + "\n"));
        return ns;
    }

    /** What runs a crun command in this namespace. */
    List<String> prefix() {
        return List.of("nsenter", "--mount=" + dir.resolve("ns"));
    }

    /**
     * Unmounts the namespace's file and the directory's own bind mount and deletes the directory; the namespace
     * goes once no process is left in it. Missing pieces are fine (nothing was made, or a crash left half).
     */
    static void remove(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        // umount -l: a crun command still running in the namespace does not keep it from being unlinked.
        HostCommand.quietly(List.of("umount", "-l", dir.resolve("ns").toString()));
        HostCommand.quietly(List.of("umount", "-l", dir.toString()));
        try {
            Files.deleteIfExists(dir.resolve("ns"));
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            throw new SandboxException("Failed to remove crun's mount namespace in " + dir + ": " + e.getMessage(), e);
        }
    }
}
