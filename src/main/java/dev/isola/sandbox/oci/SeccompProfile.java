package dev.isola.sandbox.oci;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The seccomp filter of every container: runc and crun ship no default profile of their own (Docker and Podman
 * bring one), so Isola brings one with the same intent. Everything a Go or Node.js server needs is allowed; the
 * system calls below fail with EPERM. They are those Docker's default profile denies to unprivileged containers
 * and that no function needs: kernel keyrings, BPF, perf events, userfaultfd, namespace and mount manipulation,
 * module loading, clock and system administration, ptrace and cross-process memory access, the obsolete ones. The
 * container has no capabilities either; the filter also shuts the kernel code behind these calls, which is where
 * container escapes have come from. A deny list rather than Docker's allow list keeps new harmless system calls
 * (the ones newer libcs start using) working.
 *
 * <p>A function may not make kernel namespaces of its own either: inside a new user namespace it would hold
 * CAP_NET_ADMIN and the like, and reach nf_tables and other kernel code that is otherwise out of its reach. So
 * {@code clone} fails with EPERM when its flags ask for any namespace (one rule per flag: a rule's argument
 * conditions are all required, and a masked compare can test one bit for being set), {@code clone3} fails with
 * ENOSYS (its flags are in memory, out of a filter's sight; libcs and Go's runtime fall back to {@code clone} on
 * ENOSYS), and io_uring, whose operations bypass system-call filtering, is denied as a whole.
 *
 * <p>{@code fallocate} fails with EOPNOTSUPP: on the console file the function's stdout is, it could take disk
 * without moving the size the console reader watches ({@code spi/Console#reclaim} gives such disk back, but a single
 * call can take the whole disk at once).
 *
 * <p>runsc is not given this filter: gVisor implements the system calls itself, in a sandbox that the host
 * filters with its own seccomp profile.
 */
final class SeccompProfile {
    static final List<String> DENIED = List.of(
            "acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module", "delete_module",
            "finit_module", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick", "get_kernel_syms",
            "init_module", "ioperm", "iopl", "kcmp", "kexec_file_load", "kexec_load", "keyctl",
            "lookup_dcookie", "mount", "mount_setattr", "move_mount", "move_pages", "name_to_handle_at",
            "nfsservctl", "open_by_handle_at", "open_tree", "perf_event_open", "pivot_root", "process_vm_readv",
            "process_vm_writev", "ptrace", "query_module", "quotactl", "quotactl_fd", "reboot", "request_key",
            "setns", "settimeofday", "swapoff", "swapon", "sysfs", "_sysctl", "umount", "umount2",
            "unshare", "uselib", "userfaultfd", "ustat", "vhangup", "vm86", "vm86old", "adjtimex", "syslog",
            "io_uring_setup", "io_uring_enter", "io_uring_register");
    /**
     * CLONE_NEWTIME, CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
     * CLONE_NEWNET.
     */
    static final List<Long> NAMESPACE_FLAGS = List.of(0x80L, 0x20000L, 0x02000000L, 0x04000000L, 0x08000000L,
            0x10000000L, 0x20000000L, 0x40000000L);
    private static final int EPERM = 1;
    private static final int ENOSYS = 38;
    private static final int EOPNOTSUPP = 95;

    private SeccompProfile() {
    }

    static Map<String, Object> spec() {
        List<Map<String, Object>> rules = new ArrayList<>();
        rules.add(Map.of("names", DENIED, "action", "SCMP_ACT_ERRNO", "errnoRet", EPERM));
        rules.add(Map.of("names", List.of("clone3"), "action", "SCMP_ACT_ERRNO", "errnoRet", ENOSYS));
        // As a file system without it: glibc's posix_fallocate then writes the zeros itself, which moves the size.
        rules.add(Map.of("names", List.of("fallocate"), "action", "SCMP_ACT_ERRNO", "errnoRet", EOPNOTSUPP));
        for (long flag : NAMESPACE_FLAGS) {
            // x86-64 and i386 both pass clone's flags first.
            rules.add(Map.of("names", List.of("clone"), "action", "SCMP_ACT_ERRNO", "errnoRet", EPERM,
                    "args", List.of(Map.of("index", 0, "value", flag, "valueTwo", flag, "op", "SCMP_CMP_MASKED_EQ"))));
        }
        return Map.of(
                "defaultAction", "SCMP_ACT_ALLOW",
                "architectures", List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"),
                "syscalls", rules);
    }
}
