package dev.isola.sandbox.oci;

import java.util.List;
import java.util.Set;

/**
 * The {@code runsc} (gVisor) backend: the same bundles and namespaces as runc, with a user-space kernel in between.
 *
 * <p>Platform from {@code ISOLA_RUNSC_PLATFORM} (default {@code ptrace}, the one that works everywhere; {@code kvm}
 * needs real hardware virtualisation — on PVM hosts it spins forever). Network mode {@code sandbox}: gVisor's own
 * network stack (netstack) serves the instance's address inside the instance's namespace, so the function's
 * network calls never reach the host kernel's TCP/IP code.
 *
 * <p>runsc refuses netstack in what it takes for the host's root network namespace, and tells by whether
 * {@code /proc/sys/net/core/rmem_default} exists; recent kernels (6.18 here) expose that file in every namespace.
 * So runsc runs in a mount namespace of its own with an empty tmpfs over {@code /proc/sys/net}
 * ({@link RuntimeMountNamespace}).
 */
public final class RunscSandboxProvider extends OciSandboxProvider {
    private static final Set<String> PLATFORMS = Set.of("ptrace", "systrap", "kvm");
    private static final int PLATFORM_DEADLINE_SECONDS = 10;

    public RunscSandboxProvider() {
        super("runsc");
    }

    @Override
    protected boolean appliesSeccompProfile() {
        return false;
    }

    /** {@code runsc run} dies of a SIGTERM itself, taking the sandbox with it unstopped and leaving its state. */
    @Override
    protected boolean forwardsSignals() {
        return false;
    }

    static String platform() {
        String configured = System.getenv().getOrDefault("ISOLA_RUNSC_PLATFORM", "ptrace");
        if (!PLATFORMS.contains(configured)) {
            throw new dev.isola.config.ConfigException("Invalid configuration: 'ISOLA_RUNSC_PLATFORM' must be one of "
                    + PLATFORMS + ", not '" + configured + "'");
        }
        return configured;
    }

    /**
     * Runs {@code /bin/true} in a throw-away sandbox on every platform, each with a deadline: on hosts whose
     * {@code /dev/kvm} is not hardware virtualisation (kvm_pvm) the kvm platform spins forever instead of failing.
     */
    @Override
    public List<String> diagnostics() {
        if (!probe().available()) {
            return List.of();
        }
        return PLATFORMS.stream().sorted().map(p -> "platform " + p + ": " + tryPlatform(p)).toList();
    }

    private static String tryPlatform(String platform) {
        java.nio.file.Path root = null;
        Process process = null;
        try {
            root = java.nio.file.Files.createTempDirectory("isola-runsc-probe-");
            long begin = System.nanoTime();
            process = new ProcessBuilder("runsc", "--root", root.toString(), "--platform=" + platform,
                    "--network=none", "do", "/bin/true").redirectErrorStream(true).start();
            if (!process.waitFor(PLATFORM_DEADLINE_SECONDS, java.util.concurrent.TimeUnit.SECONDS)) {
                boolean pvm = java.nio.file.Files.exists(java.nio.file.Path.of("/sys/module/kvm_pvm"));
                return "hangs (no result within " + PLATFORM_DEADLINE_SECONDS + " s" + (pvm
                        ? "; /dev/kvm here is kvm_pvm, software virtualisation that gVisor's kvm platform cannot use)"
                        : ")");
            }
            String output = new String(process.getInputStream().readAllBytes()).trim();
            if (process.exitValue() != 0) {
                String last = output.isEmpty() ? "exit status " + process.exitValue()
                        : output.lines().reduce((a, b) -> b).orElse("");
                return "fails (" + last + ")";
            }
            return String.format("works (%.2f s)", (System.nanoTime() - begin) / 1e9);
        } catch (java.io.IOException e) {
            return "cannot be tried: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } finally {
            if (process != null && process.isAlive()) {
                // Our own child and the sandbox processes it started; none can be reaped (and reused) before this.
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
            if (root != null) {
                dev.isola.net.HostCommand.quietly(List.of("rm", "-rf", root.toString()));
            }
        }
    }

    @Override
    protected List<String> globalFlags() {
        return List.of("--platform=" + platform(), "--network=sandbox");
    }

    @Override
    protected boolean ownNetworkStack() {
        return true;
    }

    @Override
    protected List<String> mountNamespaceChange() {
        return List.of("mount", "-t", "tmpfs", "-o", "size=4k,mode=0555", "isola-no-net-sysctls", "/proc/sys/net");
    }
}
