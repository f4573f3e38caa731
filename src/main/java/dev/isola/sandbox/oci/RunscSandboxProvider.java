package dev.isola.sandbox.oci;

import java.util.List;
import java.util.Set;

/**
 * The {@code runsc} (gVisor) backend: the same bundles and namespaces as runc, with a user-space kernel in between.
 *
 * <p>Platform from {@code ISOLA_RUNSC_PLATFORM} (default {@code ptrace}, the one that works everywhere; {@code kvm}
 * needs real hardware virtualisation — on PVM hosts it spins forever). Network mode {@code host}: the sandbox uses
 * the host kernel's TCP stack inside the instance's own namespace; gVisor's netstack ({@code sandbox}) needs a
 * workaround on kernels where every namespace exposes {@code /proc/sys/net/core/rmem_default}.
 */
public final class RunscSandboxProvider extends OciSandboxProvider {
    private static final Set<String> PLATFORMS = Set.of("ptrace", "systrap", "kvm");

    public RunscSandboxProvider() {
        super("runsc");
    }

    static String platform() {
        String configured = System.getenv().getOrDefault("ISOLA_RUNSC_PLATFORM", "ptrace");
        if (!PLATFORMS.contains(configured)) {
            throw new dev.isola.config.ConfigException("Invalid configuration: 'ISOLA_RUNSC_PLATFORM' must be one of "
                    + PLATFORMS + ", not '" + configured + "'");
        }
        return configured;
    }

    @Override
    protected List<String> globalFlags() {
        return List.of("--platform=" + platform(), "--network=host");
    }
}
