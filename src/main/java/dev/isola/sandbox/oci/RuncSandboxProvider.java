package dev.isola.sandbox.oci;

import dev.isola.sandbox.spi.Isolation;
import dev.isola.sandbox.spi.SandboxBackend;
import dev.isola.sandbox.spi.SandboxContext;
import dev.isola.sandbox.spi.SandboxProvider;
import dev.isola.sandbox.spi.SandboxUids;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code runc} backend: an OCI container per instance, run by runc ({@link OciBackend}). Settings
 * {@code uidBase} and {@code uidCount}: the host uids functions run as, one per live container (default
 * {@value SandboxUids#DEFAULT_COUNT} from {@value #DEFAULT_UID_BASE}, after the process backend's range).
 */
public final class RuncSandboxProvider implements SandboxProvider {
    static final int DEFAULT_UID_BASE = 340_000;

    @Override
    public String type() {
        return "runc";
    }

    @Override
    public Isolation isolation() {
        return Isolation.CONTAINER;
    }

    @Override
    public SandboxBackend create(SandboxContext context) {
        context.settings().allowOnly(Set.of("uidBase", "uidCount"));
        return new OciBackend(context, new RuntimeTraits("runc", isolation(), List.of(), List.of(), true,
                RuntimeTraits.Launch.CREATE_THEN_READ_FIFO, false),
                Optional.of(SandboxUids.fromSettings(context.settings(), type(), DEFAULT_UID_BASE)), List::of);
    }
}
