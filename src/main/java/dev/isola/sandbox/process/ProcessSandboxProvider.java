package dev.isola.sandbox.process;

import dev.isola.sandbox.spi.Isolation;
import dev.isola.sandbox.spi.SandboxBackend;
import dev.isola.sandbox.spi.SandboxContext;
import dev.isola.sandbox.spi.SandboxProvider;

import java.util.Set;

/** The {@code process} backend ({@link ProcessBackend}): no isolation, for development and baselines. */
public final class ProcessSandboxProvider implements SandboxProvider {
    @Override
    public String type() {
        return "process";
    }

    @Override
    public Isolation isolation() {
        return Isolation.NONE;
    }

    @Override
    public SandboxBackend create(SandboxContext context) {
        context.settings().allowOnly(Set.of());
        return new ProcessBackend(context);
    }
}
