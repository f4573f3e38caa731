package dev.isola.sandbox.oci;

import dev.isola.sandbox.spi.Isolation;
import dev.isola.sandbox.spi.SandboxBackend;
import dev.isola.sandbox.spi.SandboxContext;
import dev.isola.sandbox.spi.SandboxProvider;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The {@code crun} backend: the same bundles, namespaces and limits as runc, run by crun (C, faster to start).
 *
 * <p>Hybrid cgroup hosts (v1 controllers plus a cgroup2 mount at {@code /sys/fs/cgroup/unified} that has a
 * controller bound to it, as on this kind of machine) make crun refuse to run anything ("cgroups in hybrid mode
 * not supported"). Isola then runs crun in a mount namespace of its own in which that cgroup2 mount is unmounted,
 * so crun sees pure cgroup v1 ({@link RuntimeMountNamespace}); the host's mounts are untouched. On v1 and v2 hosts
 * crun runs directly.
 */
public final class CrunSandboxProvider implements SandboxProvider {
    static final Path UNIFIED = Path.of("/sys/fs/cgroup/unified");

    @Override
    public String type() {
        return "crun";
    }

    @Override
    public Isolation isolation() {
        return Isolation.CONTAINER;
    }

    @Override
    public SandboxBackend create(SandboxContext context) {
        context.settings().allowOnly(Set.of());
        return new OciBackend(context, new RuntimeTraits("crun", isolation(), List.of(), mountNamespaceChange(),
                true, RuntimeTraits.Launch.CREATE_THEN_WRITE_FIFO, false), List::of);
    }

    static List<String> mountNamespaceChange() {
        return hybrid() ? List.of("umount", UNIFIED.toString()) : List.of();
    }

    /** A cgroup2 mount beside the v1 hierarchies with at least one controller bound to it. */
    static boolean hybrid() {
        Path controllers = UNIFIED.resolve("cgroup.controllers");
        try {
            return Files.exists(controllers) && !Files.readString(controllers).isBlank();
        } catch (IOException e) {
            return false;
        }
    }
}
