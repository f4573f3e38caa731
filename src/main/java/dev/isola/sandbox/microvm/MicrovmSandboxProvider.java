package dev.isola.sandbox.microvm;

import dev.isola.sandbox.spi.Isolation;
import dev.isola.sandbox.spi.SandboxBackend;
import dev.isola.sandbox.spi.SandboxContext;
import dev.isola.sandbox.spi.SandboxProvider;

import java.util.Set;

/**
 * The {@code microvm} backend ({@link MicrovmBackend}). Its section: {@code tbMib}, TCG's translation cache per VM
 * in MiB (default {@value Accelerator#DEFAULT_TB_MIB}; see {@link Accelerator#TCG}); {@code uidBase} and
 * {@code uidCount}, the host ids QEMU processes run as, one per live VM (default {@value VmUids#DEFAULT_COUNT} from
 * {@value VmUids#DEFAULT_BASE}; see {@link VmUids}).
 *
 * <p>{@link #isolation()} is what it gives under KVM; under TCG the backend reports less
 * ({@link MicrovmBackend#reducedIsolation()}).
 */
public final class MicrovmSandboxProvider implements SandboxProvider {
    /**
     * Above the 16-bit ids, where distributions put system users, systemd's dynamic users (61184-65519) and
     * {@code nobody}, none of which need be in {@code /etc/passwd}.
     */
    private static final int MIN_UID_BASE = 65_536;
    /** Far below the id that means "none" to setuid ({@code (uid_t) -1}), with room for a range. */
    private static final int MAX_UID_BASE = 2_000_000_000;

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
        context.settings().allowOnly(Set.of("tbMib", "uidBase", "uidCount"));
        int base = context.settings().integer("uidBase", MIN_UID_BASE, MAX_UID_BASE, VmUids.DEFAULT_BASE);
        int count = context.settings().integer("uidCount", 1, Integer.MAX_VALUE - base, VmUids.DEFAULT_COUNT);
        return new MicrovmBackend(context, context.settings().integer("tbMib", 1, 4096, Accelerator.DEFAULT_TB_MIB),
                new VmUids(base, count));
    }
}
