package dev.isola.sandbox.microvm;

import java.util.List;
import java.util.Locale;

/** How QEMU runs the guest: hardware virtualisation, or software emulation where KVM cannot run it. */
enum Accelerator {
    KVM,
    /**
     * Software emulation. The translation-block cache is the largest part of a TCG VM's memory: QEMU's default is a
     * quarter of guest RAM (128 MiB at 512 MiB); {@value #DEFAULT_TB_MIB} MiB lowers host memory per VM without
     * slowing boot (bench/microvm-coldstart.sh measures both; host-notes: 125 MB RSS at the default, 105 MB at
     * 16 MiB). {@code sandbox.microvm.tbMib} overrides it for such measurements.
     */
    TCG;

    static final int DEFAULT_TB_MIB = 32;

    /** QEMU's accelerator flags; {@code tbMib}: TCG's translation cache in MiB (0: QEMU's default). */
    List<String> qemuArgs(int tbMib) {
        return switch (this) {
            case KVM -> List.of("-accel", "kvm", "-cpu", "host");
            case TCG -> List.of("-accel", tbMib > 0 ? "tcg,tb-size=" + tbMib : "tcg", "-cpu", "max");
        };
    }

    String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
