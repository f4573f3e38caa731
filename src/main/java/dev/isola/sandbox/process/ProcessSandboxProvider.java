package dev.isola.sandbox.process;

import dev.isola.sandbox.spi.Isolation;
import dev.isola.sandbox.spi.SandboxBackend;
import dev.isola.sandbox.spi.SandboxContext;
import dev.isola.sandbox.spi.SandboxProvider;
import dev.isola.sandbox.spi.SandboxUids;

import java.util.Set;

/**
 * The {@code process} backend ({@link ProcessBackend}): no isolation, for development and baselines. Its section:
 * {@code uidBase} and {@code uidCount}, the host ids functions run as when Isola runs as root, one per live instance
 * (default {@value SandboxUids#DEFAULT_COUNT} from {@value #DEFAULT_UID_BASE}, after the microvm backend's range).
 */
public final class ProcessSandboxProvider implements SandboxProvider {
    static final int DEFAULT_UID_BASE = 270_000;

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
        context.settings().allowOnly(Set.of("uidBase", "uidCount"));
        return new ProcessBackend(context, SandboxUids.fromSettings(context.settings(), type(), DEFAULT_UID_BASE));
    }
}
