package dev.isola.sandbox.microvm;

import dev.isola.host.Command;
import dev.isola.host.CommandResult;
import dev.isola.host.FileTrees;
import dev.isola.host.HostException;
import dev.isola.host.ProcessRunner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Chooses the accelerator by really booting a tiny guest (the init in probe mode, no devices) under KVM with a
 * deadline: KVM when the guest reaches user space, TCG otherwise, with the reason. Only a boot proves KVM works:
 * on this kind of host {@code /dev/kvm} exists and opens, but it is {@code kvm_pvm}, which runs only PVM-patched
 * guests, and a stock kernel either stops QEMU at once or spins without progress (hence the deadline).
 * The answer is kept for the life of the process.
 */
final class AcceleratorProbe {
    /** A KVM guest of this size reaches user space in well under a second; 10 s leaves room on a loaded host. */
    private static final Duration DEADLINE = Duration.ofSeconds(10);
    static final String PROBE_OK = "isola-init: probe ok";

    record Choice(Accelerator accelerator, String reason) {
    }

    private final ProcessRunner runner;
    private Choice choice;

    AcceleratorProbe(ProcessRunner runner) {
        this.runner = runner;
    }

    /** {@code init} is built only when a test boot is needed (there is a {@code /dev/kvm} to test). */
    synchronized Choice choose(GuestKernel kernel, Supplier<Path> init, Path scratchDir) {
        if (choice == null) {
            choice = probe(kernel, init, scratchDir);
        }
        return choice;
    }

    /** The choice if one was made, without probing. */
    synchronized Optional<Choice> known() {
        return Optional.ofNullable(choice);
    }

    private Choice probe(GuestKernel kernel, Supplier<Path> init, Path scratchDir) {
        Path kvm = Path.of("/dev/kvm");
        if (!Files.exists(kvm)) {
            return new Choice(Accelerator.TCG, "no /dev/kvm on this host (no hardware virtualisation exposed); "
                    + "software emulation (TCG)");
        }
        String pvm = Files.exists(Path.of("/sys/module/kvm_pvm"))
                ? "; /dev/kvm is kvm_pvm (software PVM virtualisation), which runs only PVM-enabled guest kernels "
                + "(CONFIG_PVM_GUEST), and Debian ships none" : "";
        Path dir = null;
        try {
            dir = Files.createTempDirectory(scratchDir, "accel-probe-");
            Path initramfs = GuestImages.probeInitramfs(dir, init.get());
            List<String> argv = new ArrayList<>(List.of(MicrovmBackend.QEMU,
                    "-M", kernel.acpi() ? "microvm" : "microvm,acpi=off"));
            argv.addAll(Accelerator.KVM.qemuArgs(0));
            argv.addAll(List.of("-m", "128M", "-smp", "1", "-nodefaults", "-no-user-config", "-nographic",
                    "-no-reboot", "-serial", "stdio", "-kernel", kernel.image().toString(), "-initrd",
                    initramfs.toString(), "-append", "console=ttyS0 quiet reboot=t panic=-1 isola.probe=1"));
            // The runner kills QEMU at the deadline: a guest that spins under kvm_pvm never exits by itself.
            CommandResult result = runner.result(Command.of(argv).withTimeout(DEADLINE));
            if (result.output().contains(PROBE_OK)) {
                return new Choice(Accelerator.KVM, "KVM booted a test guest");
            }
            String why = !result.timedOut() ? "QEMU under KVM failed: " + lastLine(result.output())
                    : "a test guest under KVM made no progress within " + DEADLINE.toSeconds() + " s";
            return new Choice(Accelerator.TCG, why + pvm + "; software emulation (TCG)");
        } catch (IOException | HostException e) {
            return new Choice(Accelerator.TCG, "could not run the KVM probe (" + e.getMessage()
                    + "); software emulation (TCG)");
        } finally {
            if (dir != null) {
                FileTrees.deleteQuietly(dir);
            }
        }
    }

    private static String lastLine(String text) {
        List<String> lines = text.lines().map(String::trim).filter(l -> !l.isEmpty()).toList();
        return lines.isEmpty() ? "no output" : lines.getLast();
    }
}
