package dev.isola.sandbox.microvm;

import java.util.List;

/** How QEMU runs the guest: hardware virtualisation, or software emulation where KVM cannot run it. */
enum Accelerator {
    KVM(List.of("-accel", "kvm", "-cpu", "host")),
    /**
     * Software emulation. The translation-block cache is the largest part of a TCG VM's memory; 32 MiB instead of
     * QEMU's default (a quarter of guest RAM, up to 1 GiB) kept boot time and lowered host memory per VM in
     * bench/microvm-coldstart.sh (host-notes: 125 MB RSS at the default, 105 MB at 16 MiB).
     */
    TCG(List.of("-accel", "tcg,tb-size=32", "-cpu", "max"));

    private final List<String> qemuArgs;

    Accelerator(List<String> qemuArgs) {
        this.qemuArgs = qemuArgs;
    }

    List<String> qemuArgs() {
        return qemuArgs;
    }

    String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
