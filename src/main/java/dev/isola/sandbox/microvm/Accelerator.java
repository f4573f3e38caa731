package dev.isola.sandbox.microvm;

import java.util.List;

/** How QEMU runs the guest: hardware virtualisation, or software emulation where KVM cannot run it. */
enum Accelerator {
    KVM,
    /**
     * Software emulation. The translation-block cache is the largest part of a TCG VM's memory: QEMU's default is a
     * quarter of guest RAM (128 MiB at 512 MiB); {@value #DEFAULT_TB_MIB} MiB lowers host memory per VM without
     * slowing boot (bench/microvm-coldstart.sh measures both; host-notes: 125 MB RSS at the default, 105 MB at
     * 16 MiB). {@code ISOLA_MICROVM_TB_MIB} overrides it for such measurements.
     */
    TCG;

    static final int DEFAULT_TB_MIB = 32;

    List<String> qemuArgs() {
        return switch (this) {
            case KVM -> List.of("-accel", "kvm", "-cpu", "host");
            case TCG -> List.of("-accel", "tcg,tb-size=" + tbMib(System.getenv("ISOLA_MICROVM_TB_MIB")), "-cpu", "max");
        };
    }

    static int tbMib(String configured) {
        if (configured == null || configured.isBlank()) {
            return DEFAULT_TB_MIB;
        }
        try {
            int mib = Integer.parseInt(configured.trim());
            if (mib >= 1 && mib <= 4096) {
                return mib;
            }
        } catch (NumberFormatException e) {
            // Reported below.
        }
        throw new IllegalArgumentException("Invalid configuration: ISOLA_MICROVM_TB_MIB must be 1..4096 (MiB), got '"
                + configured + "'");
    }

    String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
