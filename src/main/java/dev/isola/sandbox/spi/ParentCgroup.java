package dev.isola.sandbox.spi;

import dev.isola.host.CgroupTree;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The one cgroup every sandbox's cgroup lives under, {@value #NAME}, with the node's memory for sandboxes
 * ({@code nodeMemory}) as its limit: the node budget counts the instances' limits, and this makes the kernel hold
 * their real use to the same total, so the host's memory left for Isola and the host is never taken by sandboxes
 * together, whatever a runtime or QEMU costs beyond what a limit counts. Containers are {@code isola/<id>} (their
 * runtime's {@code cgroupsPath}), VMs {@code isola/vm/<id>}; the process backend has no cgroup.
 *
 * <p>It also bounds the tasks (processes and threads) of all sandboxes together, to three quarters of what the
 * kernel allows ({@code kernel.pid_max}, {@code kernel.threads-max}, read at start): each container may have 1,024,
 * and 32 of them on a host with the usual {@code pid_max} of 32,768 took every pid, after which Isola could start
 * neither a runtime nor a thread, and the host's own services failed to fork.
 *
 * <p>The limit sits in the hierarchy that controls memory: {@code memory/isola} on v1 and hybrid hosts (its
 * {@code memory.limit_in_bytes}), {@code isola} on v2 hosts ({@code memory.max}). It is set at every start, after
 * the sandboxes of a crashed run were reaped (on v1 a limit below what is in use fails). The other v1 controllers'
 * {@code isola} are made on demand by the runtimes and removed by the backends when empty.
 *
 * <p>Who removes it: an Isola that made it notes so in {@value #MADE_BY_ISOLA}. At shutdown the cgroup goes if an
 * Isola made it and it is empty (rmdir fails on a cgroup that still holds a sandbox, so another Isola's live ones are
 * never touched: the last Isola to stop removes it). One the operator made (no note) stays, with the limit Isola
 * set. The note lives in {@code /run}, which like the cgroup file system is empty after a reboot, so it never
 * outlives the cgroup it speaks of; a crashed Isola's cgroup is removed by the next clean stop. Two Isolas on one host
 * (tests, {@code isola run} next to a service) share the cgroup and its limit is the last started one's.
 */
public final class ParentCgroup implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ParentCgroup.class.getName());
    public static final String NAME = "isola";
    /** Beside the runtimes' state roots ({@code /run/isola/<runtime>}). */
    static final Path MADE_BY_ISOLA = Path.of("/run/isola/parent-cgroup-made-by-isola");
    /** How long a stop waits for the last sandbox processes to leave the cgroup (they are gone, or nearly). */
    private static final Duration REMOVE_WAIT = Duration.ofSeconds(2);

    private final Path dir;

    private ParentCgroup(Path dir) {
        this.dir = dir;
    }

    /**
     * Makes {@value #NAME} where memory is controlled, if missing, with {@code memoryBytes} as its limit
     * ({@link Long#MAX_VALUE}: none). Never throws: a host where it cannot be made (not root, no cgroup file system)
     * runs on with the node budget's count alone, and says so.
     */
    public static ParentCgroup limit(long memoryBytes) {
        Path dir = CgroupTree.memory(NAME);
        if (!Files.isWritable(dir.getParent())) {
            LOG.log(Level.INFO, "no parent cgroup for sandboxes (" + dir.getParent() + " is not writable: not root?); "
                    + "sandboxes' memory is bounded by the node budget's count of their limits only");
            return new ParentCgroup(dir);
        }
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(MADE_BY_ISOLA.getParent());
                Files.writeString(MADE_BY_ISOLA, dir + "\n"); // before the cgroup: a crash in between leaves a note only
                if (CgroupTree.unified()) {
                    // The root delegates memory to its children (systemd usually has): else there is no memory.max.
                    Files.writeString(CgroupTree.ROOT.resolve("cgroup.subtree_control"), "+memory +pids");
                }
                Files.createDirectories(dir);
            } else if (!Files.exists(MADE_BY_ISOLA)) {
                LOG.log(Level.INFO, "parent cgroup " + dir + " was there before (made by the operator): it gets the "
                        + "memory limit and stays when Isola stops");
            }
            Path file = dir.resolve(CgroupTree.unified() ? "memory.max" : "memory.limit_in_bytes");
            Files.writeString(file, memoryBytes == Long.MAX_VALUE ? (CgroupTree.unified() ? "max" : "-1")
                    : Long.toString(memoryBytes));
            LOG.log(Level.INFO, "sandboxes run under cgroup " + dir + ", memory limit "
                    + (memoryBytes == Long.MAX_VALUE ? "none" : (memoryBytes >> 20) + " MiB") + " (nodeMemory)");
        } catch (IOException e) {
            LOG.log(Level.WARNING, "Failed to set the memory limit of parent cgroup " + dir + ": " + e
                    + "; sandboxes' memory is bounded by the node budget's count of their limits only");
        }
        limitTasks();
        return new ParentCgroup(dir);
    }

    /** Sets the tasks limit on {@value #NAME} where pids are controlled; see the class comment. Never throws. */
    private static void limitTasks() {
        Path dir = CgroupTree.pids(NAME);
        long max = sandboxTasks();
        try {
            // On v1 the runtimes would make it on demand; made here, they find it with its limit.
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("pids.max"), Long.toString(max));
            LOG.log(Level.INFO, "sandboxes may run " + max + " tasks together (cgroup " + dir + ")");
        } catch (IOException e) {
            LOG.log(Level.WARNING, "Failed to limit the tasks of all sandboxes in " + dir + ": " + e
                    + "; each sandbox is still limited on its own");
        }
    }

    /** Three quarters of the tasks the kernel allows: the rest keeps Isola and the host able to fork. */
    public static long sandboxTasks() {
        return Math.min(kernelLimit("pid_max"), kernelLimit("threads-max")) / 4 * 3;
    }

    private static long kernelLimit(String name) {
        try {
            // Not Files.readString: it trusts the size a proc file reports and returned "3" of "32768" here.
            return Long.parseLong(Files.readAllLines(Path.of("/proc/sys/kernel", name)).getFirst().strip());
        } catch (IOException | RuntimeException e) {
            return 32_768; // the kernel's usual pid_max
        }
    }

    /** Where the limit is: {@code memory/isola} on v1 and hybrid hosts, {@code isola} on v2 hosts. */
    public Path dir() {
        return dir;
    }

    /**
     * The {@value #NAME} cgroups of the hierarchies other than the limited one, which the runtimes make on demand;
     * each goes if empty. For a backend's shutdown, once its sandboxes are gone.
     */
    public static void removeUnlimitedIfEmpty() {
        Path limited = CgroupTree.memory(NAME);
        for (Path parent : CgroupTree.everywhere(NAME)) {
            if (!parent.equals(limited)) {
                try {
                    Files.deleteIfExists(parent);
                } catch (IOException e) {
                    // Not empty (another Isola still runs sandboxes): not ours to remove now.
                }
            }
        }
    }

    /** Removes the cgroup if an Isola made it and it is empty; see the class comment. Never throws. */
    @Override
    public void close() {
        if (!Files.exists(MADE_BY_ISOLA)) {
            return; // the operator's, or never made
        }
        if (removeWhenEmpty()) {
            removeUnlimitedIfEmpty(); // the pids one this made (v1): the process backend has no shutdown that would
            try {
                Files.deleteIfExists(MADE_BY_ISOLA); // the note goes last, once what it records is gone
            } catch (IOException e) {
                LOG.log(Level.WARNING, "Failed to remove " + MADE_BY_ISOLA + ": " + e);
            }
        } else {
            LOG.log(Level.WARNING, "parent cgroup " + dir + " stays: sandboxes are still in it (another Isola's, or "
                    + "ones that could not be stopped); the next Isola to stop removes it when empty");
        }
    }

    private boolean removeWhenEmpty() {
        long deadline = System.nanoTime() + REMOVE_WAIT.toNanos();
        while (true) {
            try {
                Files.deleteIfExists(dir);
                return true;
            } catch (IOException e) {
                // Busy: a child cgroup or a process still exiting.
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(25);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }
}
