package dev.isola.sandbox.oci;

import dev.isola.config.StateDirs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@code crun} backend: the same bundles, namespaces and limits as runc, run by crun (C, faster to start).
 *
 * <p>Hybrid cgroup hosts (v1 controllers plus a cgroup2 mount at {@code /sys/fs/cgroup/unified} that has a
 * controller bound to it, as on this kind of machine) make crun refuse to run anything ("cgroups in hybrid mode
 * not supported"). Isola then runs crun in a mount namespace of its own in which that cgroup2 mount is unmounted,
 * so crun sees pure cgroup v1 ({@link CrunMountNamespace}, made at the first crun command); the host's mounts are
 * untouched. On v1 and v2 hosts crun runs directly.
 */
public final class CrunSandboxProvider extends OciSandboxProvider {
    private static final String NAMESPACE_DIR = "crun-mntns";

    private Path namespaceDir = StateDirs.defaultStateDir().resolve(NAMESPACE_DIR);
    private CrunMountNamespace namespace;

    public CrunSandboxProvider() {
        super("crun");
    }

    @Override
    public void open(Path stateDir) {
        synchronized (this) {
            namespaceDir = stateDir.resolve(NAMESPACE_DIR);
            // Left by a run that crashed: made anew when crun is next needed.
            CrunMountNamespace.remove(namespaceDir);
        }
        super.open(stateDir);
    }

    @Override
    protected synchronized List<String> launchPrefix() {
        if (!hybrid()) {
            return List.of();
        }
        if (namespace == null) {
            namespace = CrunMountNamespace.create(namespaceDir);
        }
        return namespace.prefix();
    }

    @Override
    public void shutdown() {
        super.shutdown();
        synchronized (this) {
            if (namespace != null) {
                CrunMountNamespace.remove(namespaceDir);
                namespace = null;
            }
        }
    }

    /** A cgroup2 mount beside the v1 hierarchies with at least one controller bound to it. */
    static boolean hybrid() {
        Path controllers = CrunMountNamespace.UNIFIED.resolve("cgroup.controllers");
        try {
            return Files.exists(controllers) && !Files.readString(controllers).isBlank();
        } catch (IOException e) {
            return false;
        }
    }
}
