package dev.isola.sandbox.oci;

import dev.isola.sandbox.spi.Isolation;
import dev.isola.sandbox.spi.SandboxBackend;
import dev.isola.sandbox.spi.SandboxContext;
import dev.isola.sandbox.spi.SandboxProvider;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code runsc} (gVisor) backend: the same bundles and namespaces as runc, with a user-space kernel in between.
 *
 * <p>Platform from {@code sandbox.runsc.platform} (default {@code ptrace}, the one that works everywhere;
 * {@code kvm} needs real hardware virtualisation — on PVM hosts it spins forever). Network mode {@code sandbox}:
 * gVisor's own network stack (netstack) serves the instance's address inside the instance's namespace, so the
 * function's network calls never reach the host kernel's TCP/IP code.
 *
 * <p>runsc refuses netstack in what it takes for the host's root network namespace, and tells by whether
 * {@code /proc/sys/net/core/rmem_default} exists; recent kernels (6.18 here) expose that file in every namespace.
 * So runsc runs in a mount namespace of its own with an empty tmpfs over {@code /proc/sys/net}
 * ({@link RuntimeMountNamespace}). Containers run detached: {@code runsc create}, then {@code runsc start} (for a
 * standby sandbox both ahead of need, its program held on a pipe until the call: {@link OciBackend#heldStandby()});
 * the sandbox process passes a SIGTERM on to the function.
 */
public final class RunscSandboxProvider implements SandboxProvider {
    static final Set<String> PLATFORMS = Set.of("ptrace", "systrap", "kvm");
    static final List<String> HIDE_NET_SYSCTLS = List.of("mount", "-t", "tmpfs", "-o", "size=4k,mode=0555",
            "isola-no-net-sysctls", "/proc/sys/net");

    @Override
    public String type() {
        return "runsc";
    }

    @Override
    public Isolation isolation() {
        return Isolation.USER_SPACE_KERNEL;
    }

    @Override
    public SandboxBackend create(SandboxContext context) {
        context.settings().allowOnly(Set.of("platform"));
        String platform = context.settings().oneOf("platform", PLATFORMS, "ptrace");
        RuntimeTraits traits = new RuntimeTraits("runsc", isolation(),
                List.of("--platform=" + platform, "--network=sandbox"), HIDE_NET_SYSCTLS, false,
                RuntimeTraits.Launch.CREATE_THEN_START, true);
        RunscPlatforms platforms = new RunscPlatforms(context.runner(), context.ticker());
        return new OciBackend(context, traits, Optional.empty(), platforms::tryEach);
    }
}
