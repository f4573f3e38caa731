package dev.isola.sandbox.microvm;

import dev.isola.sandbox.spi.Isolation;
import dev.isola.sandbox.spi.SandboxBackend;
import dev.isola.sandbox.spi.SandboxContext;
import dev.isola.sandbox.spi.SandboxProvider;

import java.util.Set;

/**
 * The {@code microvm} backend ({@link MicrovmBackend}). Its section: {@code tbMib}, TCG's translation cache per VM
 * in MiB (default {@value Accelerator#DEFAULT_TB_MIB}; see {@link Accelerator#TCG}).
 */
public final class MicrovmSandboxProvider implements SandboxProvider {
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
        context.settings().allowOnly(Set.of("tbMib"));
        return new MicrovmBackend(context, context.settings().integer("tbMib", 1, 4096, Accelerator.DEFAULT_TB_MIB));
    }
}
