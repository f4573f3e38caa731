package dev.isola.sandbox.microvm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The QEMU command line of one VM: a booted instance, a template ({@link VmTemplates}) or a clone of one.
 *
 * <p>A template and its clones must have the same devices, or the saved state would not load: both get guest RAM
 * from a file ({@code memory-backend-file}: the template maps it shared, so the file holds its memory when it is
 * saved; a clone maps it private, copy-on-write, so clones share the pages they only read through the page cache)
 * and a second serial port, {@code ttyS1}, a socket in the work directory through which the template says it is
 * ready and a clone learns who it is. A booted instance has neither.
 *
 * <p>Every QEMU starts through {@code vmexec} ({@link GoProgram#VMEXEC}): it opens the VM's tap in the host's network
 * namespace, then starts QEMU in new pid, network and IPC namespaces, holding the tap at {@value #TAP_FD}. A QEMU thus
 * reaches no network but its guest's (not the host's loopback services or interfaces, not other VMs' taps) and sees
 * no other process. {@code vmexec} writes QEMU's pid as the host sees it to {@link #pidFile} (QEMU's own
 * {@code -pidfile} would say 1) and exits.
 *
 * @param cmdline     the guest kernel's command line (for a clone, its template's: the guest's copy is in memory)
 * @param vmexec      the {@code vmexec} binary
 * @param tap         the VM's tap device; none for a template, whose network is a hub port to nowhere
 * @param memory      the file of guest RAM, for a template or a clone
 * @param incoming    whether QEMU waits for a saved state ({@code -incoming defer}), as a clone does
 */
record QemuCommand(Path vmexec, GuestKernel kernel, GuestImages.Images images, Accelerator accelerator, int tbMib,
                   long memoryMib, List<String> cmdline, Optional<String> tap, String mac, Path workDir,
                   Optional<Memory> memory, boolean incoming) {
    /** Guest RAM in a file; {@code shared} for the template that fills it, private for its clones. */
    record Memory(Path file, boolean shared) {
    }

    /** The guest's side of the identity port: COM2's legacy I/O port and IRQ, where the guest kernel looks. */
    private static final String IDENTITY_PORT = "iobase=0x2f8,irq=3";
    /** Where QEMU finds its tap: after stdio and the clone's saved state (fd 3). */
    static final int TAP_FD = 4;

    static Path qmpSocket(Path workDir) {
        return workDir.resolve("qmp.sock").toAbsolutePath();
    }

    /** QEMU's pid, as the host sees it: how start-up reaping finds the VMs of a crashed run. */
    static Path pidFile(Path workDir) {
        return workDir.resolve("qemu.pid").toAbsolutePath();
    }

    static Path identitySocket(Path workDir) {
        return workDir.resolve("identity.sock").toAbsolutePath();
    }

    /** @param console where QEMU's output is appended (the guest's serial console is its stdout) */
    List<String> argv(Path console) {
        // The generic kernel finds virtio-mmio devices through ACPI; the minimal one has no ACPI and gets them as
        // virtio_mmio.device= arguments, which QEMU appends when ACPI is off.
        String machine = kernel.acpi() ? "microvm" : "microvm,acpi=off";
        List<String> argv = new ArrayList<>(List.of(vmexec.toString(),
                "-console", console.toAbsolutePath().toString(), "-pidfile", pidFile(workDir).toString()));
        tap.ifPresent(name -> argv.addAll(List.of("-tap", name, "-fd", Integer.toString(TAP_FD))));
        // The virtio-net header offloads for a booted VM. Not for a clone: its virtio-net was set up by its
        // template's guest against a hub port, which offers none, and the two ends must agree.
        if (tap.isPresent() && memory.isEmpty()) {
            argv.add("-vnet-hdr");
        }
        argv.addAll(List.of("--", MicrovmBackend.QEMU,
                "-M", memory.isPresent() ? machine + ",memory-backend=mem" : machine));
        argv.addAll(accelerator.qemuArgs(tbMib));
        argv.addAll(List.of(
                "-m", memoryMib + "M", "-smp", "1",
                "-nodefaults", "-no-user-config", "-nographic", "-no-reboot",
                "-serial", "stdio",
                "-kernel", kernel.image().toString(),
                "-initrd", images.initramfs().toString(),
                "-append", String.join(" ", cmdline),
                "-drive", "id=root,file=" + images.rootDisk() + ",format=raw,if=none,readonly=on",
                "-device", "virtio-blk-device,drive=root",
                "-netdev", netdev(),
                "-device", "virtio-net-device,netdev=net0,mac=" + mac,
                "-qmp", "unix:" + qmpSocket(workDir) + ",server=on,wait=off"));
        memory.ifPresent(m -> argv.addAll(List.of(
                "-object", "memory-backend-file,id=mem,size=" + memoryMib + "M,mem-path=" + m.file().toAbsolutePath()
                        + ",share=" + (m.shared() ? "on" : "off"),
                "-chardev", "socket,id=identity,path=" + identitySocket(workDir) + ",server=on,wait=off",
                "-device", "isa-serial,chardev=identity," + IDENTITY_PORT)));
        if (incoming) {
            argv.addAll(List.of("-incoming", "defer"));
        }
        return argv;
    }

    /** With {@code fd=}, QEMU takes the offloads from how the tap was opened ({@code vnet_hdr=} is refused). */
    private String netdev() {
        return tap.isEmpty() ? "hubport,id=net0,hubid=0" : "tap,id=net0,fd=" + TAP_FD;
    }
}
