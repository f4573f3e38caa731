package dev.isola.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Memory of a sandbox's host processes: the proportional set size (PSS, /proc/&lt;pid&gt;/smaps_rollup) summed over
 * the instance's root process and its descendants — for a container the runtime's monitor and the container's
 * processes, for a microVM the VMM. PSS splits each shared page among the processes mapping it, so n instances
 * sharing one binary are charged one copy between them. Kernel memory (page tables aside, namespaces, sockets) is
 * not in it; MemAvailable is, but on a shared or ballooned host its drift swamps small per-instance costs, so the
 * idle-memory experiment records both. Only reads /proc.
 */
final class ProcessTreeMemory {
    private ProcessTreeMemory() {
    }

    /** PSS of the tree rooted at {@code pid} in KiB; processes that exit while being read count as 0. */
    static long pssKib(long pid) {
        long total = 0;
        for (long p : ProcessTreeCpu.tree(pid)) {
            total += pss(p);
        }
        return total;
    }

    private static long pss(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps_rollup"))) {
                if (line.startsWith("Pss:")) {
                    return Long.parseLong(line.substring(4).trim().split("\\s+")[0]);
                }
            }
            return 0;
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            throw new BenchException("Failed to read the memory of process " + pid + ": " + e.getMessage());
        }
    }
}
