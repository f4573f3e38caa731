package dev.isola.sandbox.microvm;

import java.nio.file.Path;
import java.util.List;

/**
 * A guest kernel ready to boot, with what QEMU and the guest's init need to know about it.
 *
 * @param name      {@code minimal} or {@code generic}, as in function.yaml
 * @param image     what {@code -kernel} gets: the PVH ELF {@code vmlinux} or a {@code bzImage}
 * @param acpi      whether the guest finds its virtio-mmio devices through ACPI (the generic kernel) or through
 *                  {@code virtio_mmio.device=} on the command line, which QEMU adds when ACPI is off (the minimal one)
 * @param modules   kernel modules the init loads, in load order (host paths; empty for the minimal kernel)
 * @param version   identifies the build, for image cache keys
 */
record GuestKernel(String name, Path image, boolean acpi, List<Path> modules, String version) {
    static final String MINIMAL = "minimal";
    static final String GENERIC = "generic";

    GuestKernel {
        modules = List.copyOf(modules);
    }

    /** Command-line arguments this kernel needs under the given accelerator. */
    List<String> cmdline(Accelerator accelerator) {
        // Under TCG the generic kernel cannot calibrate its TSC (no PIT/HPET reference on microvm) and would wait
        // forever; telling it the frequency skips calibration. Not needed (and not wanted) under KVM.
        if (name.equals(GENERIC) && accelerator == Accelerator.TCG) {
            return List.of("tsc_early_khz=2000000", "lpj=2000000");
        }
        return List.of();
    }
}
