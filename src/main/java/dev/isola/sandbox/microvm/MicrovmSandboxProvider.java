package dev.isola.sandbox.microvm;

import dev.isola.sandbox.spi.Isolation;
import dev.isola.sandbox.spi.SandboxBackend;
import dev.isola.sandbox.spi.SandboxContext;
import dev.isola.sandbox.spi.SandboxProvider;
import dev.isola.sandbox.spi.SandboxUids;

import java.util.Set;

/**
 * The {@code microvm} backend ({@link MicrovmBackend}). Its section: {@code tbMib}, TCG's translation cache per VM
 * in MiB (default {@value Accelerator#DEFAULT_TB_MIB}; see {@link Accelerator#TCG}); {@code uidBase} and
 * {@code uidCount}, the host ids QEMU processes run as, one per live VM (default {@value SandboxUids#DEFAULT_COUNT}
 * from {@value #DEFAULT_UID_BASE}; see {@link SandboxUids}).
 *
 * <p>{@link #isolation()} is what it gives under KVM; under TCG the backend reports less
 * ({@link MicrovmBackend#reducedIsolation()}).
 */
public final class MicrovmSandboxProvider implements SandboxProvider {
    /** The process backend's range follows: {@code ProcessSandboxProvider.DEFAULT_UID_BASE}. */
    static final int DEFAULT_UID_BASE = 200_000;

    @Override
    public String type() {
        return "microvm";
    }

    @Override
    public Isolation isolation() {
        return Isolation.VIRTUAL_MACHINE;
    }

    @Override
    public SandboxBackend create(SandboxContext context) {
        context.settings().allowOnly(Set.of("tbMib", "uidBase", "uidCount", "clones"));
        return new MicrovmBackend(context, context.settings().integer("tbMib", 1, 4096, Accelerator.DEFAULT_TB_MIB),
                SandboxUids.fromSettings(context.settings(), type(), DEFAULT_UID_BASE),
                context.settings().oneOf("clones", Set.of("on", "off"), "on").equals("on"));
    }
}
