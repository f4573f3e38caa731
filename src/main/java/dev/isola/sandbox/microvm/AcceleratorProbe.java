package dev.isola.sandbox.microvm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Chooses the accelerator by really booting a tiny guest (the init in probe mode, no devices) under KVM with a
 * deadline: KVM when the guest reaches user space, TCG otherwise, with the reason. Only a boot proves KVM works:
 * on this kind of host {@code /dev/kvm} exists and opens, but it is {@code kvm_pvm}, which runs only PVM-patched
 * guests, and a stock kernel either stops QEMU at once or spins without progress (hence the deadline).
 * The answer is kept for the life of the process.
 */
final class AcceleratorProbe {
    /** A KVM guest of this size reaches user space in well under a second; 10 s leaves room on a loaded host. */
    private static final long DEADLINE_MILLIS = 10_000;
    static final String PROBE_OK = "isola-init: probe ok";

    record Choice(Accelerator accelerator, String reason) {
    }

    private Choice choice;

    synchronized Choice choose(GuestKernel kernel, Path init, Path scratchDir) {
        if (choice == null) {
            choice = probe(kernel, init, scratchDir);
        }
        return choice;
    }

    /** The choice if one was made, without probing. */
    synchronized java.util.Optional<Choice> known() {
        return java.util.Optional.ofNullable(choice);
    }

    private static Choice probe(GuestKernel kernel, Path init, Path scratchDir) {
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
            Path initramfs = GuestImages.probeInitramfs(dir, init);
            List<String> argv = new ArrayList<>(List.of(MicrovmSandboxProvider.QEMU,
                    "-M", kernel.acpi() ? "microvm" : "microvm,acpi=off"));
            argv.addAll(Accelerator.KVM.qemuArgs());
            argv.addAll(List.of("-m", "128M", "-smp", "1", "-nodefaults", "-no-user-config", "-nographic",
                    "-no-reboot", "-serial", "stdio", "-kernel", kernel.image().toString(), "-initrd",
                    initramfs.toString(), "-append", "console=ttyS0 quiet reboot=t panic=-1 isola.probe=1"));
            Path log = dir.resolve("console.log");
            Process qemu = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            boolean exited = qemu.waitFor(DEADLINE_MILLIS, TimeUnit.MILLISECONDS);
            if (!exited) {
                // Our own child: the handle cannot signal anything else.
                qemu.destroyForcibly();
                qemu.waitFor(2, TimeUnit.SECONDS);
            }
            String console = Files.readString(log, StandardCharsets.ISO_8859_1);
            if (console.contains(PROBE_OK)) {
                return new Choice(Accelerator.KVM, "KVM booted a test guest");
            }
            String why = exited ? "QEMU under KVM failed: " + lastLine(console)
                    : "a test guest under KVM made no progress within " + DEADLINE_MILLIS / 1000 + " s";
            return new Choice(Accelerator.TCG, why + pvm + "; software emulation (TCG)");
        } catch (IOException e) {
            return new Choice(Accelerator.TCG, "could not run the KVM probe (" + e.getMessage()
                    + "); software emulation (TCG)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Choice(Accelerator.TCG, "KVM probe interrupted; software emulation (TCG)");
        } finally {
            if (dir != null) {
                MinimalKernel.deleteTree(dir);
            }
        }
    }

    private static String lastLine(String text) {
        List<String> lines = text.lines().map(String::trim).filter(l -> !l.isEmpty()).toList();
        return lines.isEmpty() ? "no output" : lines.getLast();
    }
}
