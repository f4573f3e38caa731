package dev.isola.sandbox.oci;

import dev.isola.sandbox.spi.Isolation;
import dev.isola.sandbox.spi.SandboxBackend;
import dev.isola.sandbox.spi.SandboxContext;
import dev.isola.sandbox.spi.SandboxProvider;

import java.util.List;
import java.util.Set;

/** The {@code runc} backend: an OCI container per instance, run by runc ({@link OciBackend}). */
public final class RuncSandboxProvider implements SandboxProvider {
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
        context.settings().allowOnly(Set.of());
        return new OciBackend(context, new RuntimeTraits("runc", isolation(), List.of(), List.of(), true,
                RuntimeTraits.Launch.CREATE_THEN_READ_FIFO, false),
                List::of);
    }
}
