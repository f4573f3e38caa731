package dev.isola.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A cgroup that bounds a group of host processes as a whole: its memory (what a process limit such as
 * {@code prlimit --data} cannot see: many processes, shared memory, tmpfs pages) and its number of processes. On a
 * v1 or hybrid host it is one directory under the memory and the pids hierarchies, on a v2 host one under the
 * unified hierarchy. A process joins it by writing its pid into each {@link #procsFiles()}, before it starts what
 * is to be bounded.
 */
public final class BoundedCgroup implements AutoCloseable {
    private final List<Path> dirs;

    private BoundedCgroup(List<Path> dirs) {
        this.dirs = dirs;
    }

    /**
     * Makes cgroup {@code parent/name} with these bounds. On a v2 host every level from the root down hands the
     * memory and pids controllers to its children.
     */
    public static BoundedCgroup create(String parent, String name, long memoryBytes, int maxProcesses) {
        for (int attempt = 1; ; attempt++) {
            try {
                return make(parent, name, memoryBytes, maxProcesses);
            } catch (HostException e) {
                if (attempt == 3) {
                    throw e;
                }
                // Another group's end may have removed the parent just as this one made it: try again.
            }
        }
    }

    private static BoundedCgroup make(String parent, String name, long memoryBytes, int maxProcesses) {
        List<Path> created = new ArrayList<>();
        BoundedCgroup cgroup = new BoundedCgroup(created);
        try {
            if (CgroupTree.unified()) {
                Path dir = CgroupTree.ROOT;
                for (String level : parent.split("/")) {
                    Files.writeString(dir.resolve("cgroup.subtree_control"), "+memory +pids");
                    dir = dir.resolve(level);
                    Files.createDirectories(dir);
                }
                Files.writeString(dir.resolve("cgroup.subtree_control"), "+memory +pids");
                Path own = mkdir(dir.resolve(name), created);
                Files.writeString(own.resolve("memory.max"), Long.toString(memoryBytes));
                Files.writeString(own.resolve("memory.swap.max"), "0");
                Files.writeString(own.resolve("pids.max"), Integer.toString(maxProcesses));
            } else {
                Path memory = mkdir(CgroupTree.ROOT.resolve("memory").resolve(parent).resolve(name), created);
                Files.writeString(memory.resolve("memory.limit_in_bytes"), Long.toString(memoryBytes));
                Path pids = mkdir(CgroupTree.ROOT.resolve("pids").resolve(parent).resolve(name), created);
                Files.writeString(pids.resolve("pids.max"), Integer.toString(maxProcesses));
            }
            return cgroup;
        } catch (IOException | RuntimeException e) {
            cgroup.close();
            throw new HostException("Failed to create cgroup " + parent + "/" + name + ": " + e, e);
        }
    }

    private static Path mkdir(Path dir, List<Path> created) throws IOException {
        Files.createDirectories(dir);
        created.add(dir);
        return dir;
    }

    /** The files a process writes its pid into to join. */
    public List<Path> procsFiles() {
        return dirs.stream().map(d -> d.resolve("cgroup.procs")).toList();
    }

    /**
     * Removes the cgroups under {@code parent} whose name {@code stale} accepts (a crashed run's): their processes are
     * killed first, which only Isola's own can be (nothing else joins these).
     */
    public static void removeLeftovers(String parent, Predicate<String> stale) {
        for (Path dir : List.of(CgroupTree.ROOT.resolve(parent), CgroupTree.ROOT.resolve("memory").resolve(parent),
                CgroupTree.ROOT.resolve("pids").resolve(parent))) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> children = Files.list(dir)) {
                children.filter(Files::isDirectory).filter(c -> stale.test(c.getFileName().toString()))
                        .forEach(child -> new BoundedCgroup(List.of(child)).close());
            } catch (IOException e) {
                // gone meanwhile
            }
        }
    }

    /**
     * Removes {@code parent} in every hierarchy where it is empty (another group of it still there keeps it): a
     * host without Isola's work under way keeps no cgroup of it.
     */
    public static void removeParentIfEmpty(String parent) {
        for (Path dir : List.of(CgroupTree.ROOT.resolve(parent), CgroupTree.ROOT.resolve("memory").resolve(parent),
                CgroupTree.ROOT.resolve("pids").resolve(parent))) {
            try {
                Files.deleteIfExists(dir);
            } catch (IOException e) {
                // not empty: another group's, or not a cgroup directory at all
            }
        }
    }

    /** Kills what is still in it, then removes its directories (a process may be listed a moment after it died). */
    @Override
    public void close() {
        for (Path dir : dirs.reversed()) {
            for (int attempt = 0; attempt < 50 && Files.exists(dir); attempt++) {
                CgroupTree.killMembers(dir);
                try {
                    Files.deleteIfExists(dir);
                } catch (IOException e) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                }
            }
        }
    }
}
