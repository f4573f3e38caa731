package dev.isola.sandbox.oci;

import dev.isola.sandbox.spi.Isolation;
import dev.isola.sandbox.spi.SandboxBackend;
import dev.isola.sandbox.spi.SandboxContext;
import dev.isola.sandbox.spi.SandboxProvider;
import dev.isola.sandbox.spi.SandboxUids;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code crun} backend: the same bundles, namespaces and limits as runc, run by crun (C, faster to start).
 *
 * <p>Hybrid cgroup hosts (v1 controllers plus a cgroup2 mount at {@code /sys/fs/cgroup/unified} that has a
 * controller bound to it, as on this kind of machine) make crun refuse to run anything ("cgroups in hybrid mode
 * not supported"). Isola then runs crun in a mount namespace of its own in which that cgroup2 mount is unmounted,
 * so crun sees pure cgroup v1 ({@link RuntimeMountNamespace}); the host's mounts are untouched. On v1 and v2 hosts
 * crun runs directly.
 *
 * <p>Settings {@code uidBase} and {@code uidCount}: the host uids functions run as, one per live container
 * (default {@value SandboxUids#DEFAULT_COUNT} from {@value #DEFAULT_UID_BASE}, after runc's range).
 */
public final class CrunSandboxProvider implements SandboxProvider {
    static final int DEFAULT_UID_BASE = 410_000;
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
        context.settings().allowOnly(Set.of("uidBase", "uidCount"));
        return new OciBackend(context, new RuntimeTraits("crun", isolation(), List.of(), mountNamespaceChange(),
                true, RuntimeTraits.Launch.CREATE_THEN_WRITE_FIFO, false),
                Optional.of(SandboxUids.fromSettings(context.settings(), type(), DEFAULT_UID_BASE)), List::of);
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
