package dev.isola.sandbox.microvm;

import dev.isola.sandbox.spi.SandboxException;
import dev.isola.sandbox.spi.SandboxUids;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * Where one VM's QEMU is jailed, in the manner of Firecracker's jailer but with QEMU's own options: QEMU starts as
 * root (in the VM's cgroup), opens everything it will ever need, then chroots into an empty directory and drops to
 * the VM's own uid and gid, with no capabilities left and a seccomp filter on.
 *
 * <p>Order in QEMU 7.2 ({@code qemu_init}): the {@code -sandbox} filter is installed while options are processed;
 * then the accelerator is configured ({@code /dev/kvm} is opened here under KVM), the
 * {@code -drive} files and the QMP socket are opened (the tap already is: {@code vmexec} attached it before it started
 * QEMU in namespaces of its own, see {@link QemuCommand}), the board built (kernel and initramfs read into
 * guest memory, vCPU threads made); only then does
 * {@code os_setup_post} chroot ({@code -chroot}) and change uid ({@code -runas uid:gid}: setgid, setgroups to that
 * one gid, setuid). Real, effective and saved uids all change, so the permitted and effective capability sets are
 * cleared; the filter sets no_new_privs. So the jail holds nothing: QEMU never opens a path after the drop, and the
 * serial console is the stdout pipe Isola reads. The QMP socket stays at its host path, owned by root, for Isola.
 *
 * <p>Not {@code elevateprivileges=deny}: in 7.2 that filter forbids setuid and setgid from the start, before
 * {@code -runas} calls them, and QEMU dies of SIGSYS (checked on this host's 7.2.22). What it would guard, a
 * later setuid, can gain nothing here: no uid of the process is 0 and no capability is left to change it.
 * {@code spawn=deny} (no fork or exec) and {@code resourcecontrol=deny} (no scheduler or affinity changes) stand.
 *
 * @param uid the VM's own uid and gid ({@link SandboxUids})
 * @param root the empty directory QEMU chroots into, inside the instance's work directory (deleted with it)
 */
record VmJail(int uid, Path root) {
    static final String SANDBOX = "on,obsolete=deny,spawn=deny,resourcecontrol=deny";

    VmJail {
        if (uid <= 0) {
            throw new IllegalArgumentException("a VM's uid must not be root's, got " + uid);
        }
        root = root.toAbsolutePath();
    }

    /** Makes the empty jail directory in {@code workDir}: root's, and not even listable by the VM's uid. */
    static VmJail prepare(Path workDir, int uid) {
        Path root = workDir.resolve("jail");
        try {
            Files.createDirectory(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                    "r-x------")));
            return new VmJail(uid, root);
        } catch (IOException e) {
            throw new SandboxException("Failed to create the jail " + root + ": " + e.getMessage(), e);
        }
    }

    /**
     * Binds {@code server} to a socket in the jail that only the VM's uid may connect to, and lets that uid through
     * the jail's root (search only: it still cannot list or write it). Returns the socket's path as QEMU sees it
     * after its chroot. A template VM saves itself through it.
     */
    String offerSocket(ServerSocketChannel server, String name) throws IOException {
        Path socket = root.resolve(name);
        server.bind(UnixDomainSocketAddress.of(socket));
        Files.setAttribute(socket, "unix:uid", uid);
        Files.setAttribute(socket, "unix:gid", uid);
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("--x--x--x"));
        return "/" + name;
    }

    List<String> qemuArgs() {
        return List.of("-sandbox", SANDBOX, "-chroot", root.toString(), "-runas", uid + ":" + uid);
    }
}
