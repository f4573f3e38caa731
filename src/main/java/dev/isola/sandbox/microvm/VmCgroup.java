package dev.isola.sandbox.microvm;

import dev.isola.host.CgroupTree;
import dev.isola.sandbox.spi.ParentCgroup;
import dev.isola.sandbox.spi.SandboxException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The cgroup that holds one QEMU process, so the VM's host-side cost is bounded like a container's: memory (guest
 * RAM plus QEMU's own overhead), a CPU quota and a pids limit. Path {@code isola/vm/<instance id>} under each
 * controller, so the node's memory limit on {@link ParentCgroup} holds VMs and containers together: the v1 hierarchies on v1 and hybrid hosts (this machine), the unified one on v2 hosts. The QEMU
 * process joins it before it execs (the launch wrapper writes its own pid into {@code cgroup.procs}), so no guest
 * memory is ever charged elsewhere.
 */
final class VmCgroup implements AutoCloseable {
    private static final Path ROOT = CgroupTree.ROOT;
    /** Apart from the containers' {@code isola/<id>}: start-up reaping here can only ever meet VM cgroups. */
    private static final String PARENT = ParentCgroup.NAME + "/vm";
    private static final long CPU_PERIOD_MICROS = 100_000;
    /** QEMU's threads (vCPU, I/O, RCU, monitor) with room; a runaway fork would be a QEMU bug. */
    private static final int PIDS_MAX = 64;

    private final List<Path> dirs;

    private VmCgroup(List<Path> dirs) {
        this.dirs = dirs;
    }

    static VmCgroup create(String id, long memoryBytes, double cpus) {
        List<Path> created = new ArrayList<>();
        VmCgroup cgroup = new VmCgroup(created);
        try {
            long quota = Math.round(cpus * CPU_PERIOD_MICROS);
            if (unified()) {
                Path parent = ROOT.resolve(PARENT);
                Files.createDirectories(parent);
                // Each level hands the controllers down: isola (runc does the same for its containers), then vm.
                Files.writeString(parent.getParent().resolve("cgroup.subtree_control"), "+memory +cpu +pids");
                Files.writeString(parent.resolve("cgroup.subtree_control"), "+memory +cpu +pids");
                Path dir = mkdir(parent.resolve(id), created);
                Files.writeString(dir.resolve("memory.max"), Long.toString(memoryBytes));
                Files.writeString(dir.resolve("memory.swap.max"), "0");
                Files.writeString(dir.resolve("cpu.max"), quota + " " + CPU_PERIOD_MICROS);
                Files.writeString(dir.resolve("pids.max"), Integer.toString(PIDS_MAX));
            } else {
                Path memory = mkdir(ROOT.resolve("memory").resolve(PARENT).resolve(id), created);
                Files.writeString(memory.resolve("memory.limit_in_bytes"), Long.toString(memoryBytes));
                Path cpu = mkdir(ROOT.resolve("cpu").resolve(PARENT).resolve(id), created);
                Files.writeString(cpu.resolve("cpu.cfs_period_us"), Long.toString(CPU_PERIOD_MICROS));
                Files.writeString(cpu.resolve("cpu.cfs_quota_us"), Long.toString(quota));
                Path pids = mkdir(ROOT.resolve("pids").resolve(PARENT).resolve(id), created);
                if (Files.isDirectory(ROOT.resolve("cpuacct")) && !Files.isSameFile(ROOT.resolve("cpuacct"),
                        ROOT.resolve("cpu"))) {
                    mkdir(ROOT.resolve("cpuacct").resolve(PARENT).resolve(id), created);
                }
                Files.writeString(pids.resolve("pids.max"), Integer.toString(PIDS_MAX));
            }
            return cgroup;
        } catch (IOException | RuntimeException e) {
            cgroup.close();
            throw new SandboxException("Failed to create the cgroup of VM " + id + ": " + e, e);
        }
    }

    private static boolean unified() {
        return CgroupTree.unified();
    }

    private static Path mkdir(Path dir, List<Path> created) throws IOException {
        Files.createDirectories(dir);
        created.add(dir);
        return dir;
    }

    /** The {@code cgroup.procs} files the launch wrapper writes its pid into. */
    List<Path> procsFiles() {
        return dirs.stream().map(d -> d.resolve("cgroup.procs")).toList();
    }

    /** Whether process {@code pid} is in this cgroup now. */
    boolean holds(long pid) {
        try {
            return Files.readAllLines(procsFiles().getFirst()).stream().anyMatch(l -> l.strip().equals("" + pid));
        } catch (IOException e) {
            return false;
        }
    }

    /** This cgroup's CPU time so far, in nanoseconds, for the bench's start-cost figure. */
    long cpuNanos() {
        for (Path dir : dirs) {
            try {
                if (Files.exists(dir.resolve("cpuacct.usage"))) {
                    return Long.parseLong(Files.readString(dir.resolve("cpuacct.usage")).trim());
                }
                if (Files.exists(dir.resolve("cpu.stat"))) {
                    for (String line : Files.readAllLines(dir.resolve("cpu.stat"))) {
                        if (line.startsWith("usage_usec ")) {
                            return Long.parseLong(line.substring(11).trim()) * 1000;
                        }
                    }
                }
            } catch (IOException | NumberFormatException e) {
                return -1;
            }
        }
        return -1;
    }

    /**
     * Kills whatever is in it and waits, a few seconds at most, until nothing is: after a launch that failed late, a
     * QEMU may have been forked that no process handle knows (only the cgroup it joined does). Only Isola's launch
     * joins a VM cgroup.
     */
    void killAll() {
        for (int attempt = 0; attempt < 100 && CgroupTree.killMembers(dirs.getFirst()); attempt++) {
            sleepQuietly();
        }
    }

    /** Removes the directories; only an empty cgroup can be removed, so call it after QEMU has exited. */
    @Override
    public void close() {
        for (Path dir : dirs.reversed()) {
            for (int attempt = 0; attempt < 20 && Files.exists(dir); attempt++) {
                try {
                    Files.deleteIfExists(dir);
                } catch (IOException e) {
                    // The exiting process may still be listed for a moment.
                    sleepQuietly();
                }
            }
        }
    }

    /**
     * Removes the cgroups of the given instances of an earlier run, then every VM cgroup without processes: one
     * whose QEMU is gone is garbage whoever made it (an Isola stopped while VMs were still booting leaves such
     * cgroups behind). rmdir fails on a cgroup that still has processes, so a live VM is never touched; a cgroup
     * another Isola created a moment before its QEMU joins it is the one case this could hit, and that start then
     * fails cleanly.
     */
    static void reapLeftovers(List<String> ids) {
        for (Path parent : parents()) {
            for (String id : ids) {
                removeQuietly(parent.resolve(id));
            }
        }
        removeEmptyChildren();
    }

    /** The processes in any VM cgroup on this host, whoever made it (each at most once). */
    static Set<Long> processes() {
        Set<Long> pids = new TreeSet<>();
        for (Path parent : parents()) {
            try (var children = Files.list(parent)) {
                for (Path child : children.filter(Files::isDirectory).toList()) {
                    Files.readAllLines(child.resolve("cgroup.procs")).stream().filter(l -> !l.isBlank())
                            .map(l -> Long.parseLong(l.trim())).forEach(pids::add);
                }
            } catch (IOException e) {
                // No such hierarchy on this host, or the cgroup went away while listed.
            }
        }
        return pids;
    }

    /**
     * Removes the parents at shutdown, when they are empty: {@code isola/vm}, then {@code isola} where no limit is
     * (the limited one is {@link ParentCgroup}'s).
     */
    static void removeParents() {
        removeEmptyChildren();
        parents().forEach(VmCgroup::removeQuietly);
        ParentCgroup.removeUnlimitedIfEmpty();
    }

    private static void removeEmptyChildren() {
        for (Path parent : parents()) {
            try (var children = Files.list(parent)) {
                children.filter(Files::isDirectory).filter(CgroupTree::withoutProcesses)
                        .forEach(VmCgroup::removeQuietly);
            } catch (IOException e) {
                // No such hierarchy on this host.
            }
        }
    }

    private static List<Path> parents() {
        List<Path> parents = new ArrayList<>(List.of(ROOT.resolve(PARENT)));
        for (String controller : List.of("memory", "cpu", "cpuacct", "pids")) {
            parents.add(ROOT.resolve(controller).resolve(PARENT));
        }
        return parents;
    }

    private static void removeQuietly(Path dir) {
        try {
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // Not empty or still has processes: not ours to remove now.
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(25);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
