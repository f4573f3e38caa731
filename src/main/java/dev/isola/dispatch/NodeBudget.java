package dev.isola.dispatch;

import dev.isola.function.DeployPolicy;
import dev.isola.function.InvalidFunctionException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

/**
 * The node's room for instances: how many may live at once (starting ones included), and how much memory their
 * limits may add up to, as OpenWhisk's invoker counts its {@code userMemory}. A limit is what an instance may take,
 * so a node whose instances' limits fit in its memory cannot be driven out of memory by them, and the host keeps
 * what Isola itself needs. A start past the budget waits, as for a function at its {@code maxInstances}, after idle
 * instances of other functions were stopped to make room. Thread-safe.
 */
public final class NodeBudget {
    /** Kept for Isola, the kernel and the host's own services: 10 % of the memory, at least 1 GiB. */
    static final long MIN_RESERVE = 1L << 30;

    private final int maxInstances;
    private final long maxMemoryBytes;
    private int instances;
    private long memoryBytes;
    /** Of those, the instances that left their pool and are stopping, and their memory: room on its way. */
    private int stoppingInstances;
    private long stoppingBytes;

    /** What the budget holds now, for metrics and messages. */
    public record Use(int instances, long memoryBytes, int maxInstances, long maxMemoryBytes) {
    }

    public NodeBudget(int maxInstances, long maxMemoryBytes) {
        if (maxInstances < 1 || maxMemoryBytes < 1) {
            throw new IllegalArgumentException("a node budget needs room for one instance");
        }
        this.maxInstances = maxInstances;
        this.maxMemoryBytes = maxMemoryBytes;
    }

    /** No bound at all: tests of the pool that are not about the budget. */
    public static NodeBudget unlimited() {
        return new NodeBudget(Integer.MAX_VALUE, Long.MAX_VALUE);
    }

    /**
     * The budget of this host: {@code maxInstances}, and {@code memoryBytes} of limits, or when that is 0 the host's
     * memory less {@link #MIN_RESERVE} or 10 %, whichever is more.
     */
    public static NodeBudget forHost(int maxInstances, long memoryBytes) {
        return new NodeBudget(maxInstances, memoryBytes > 0 ? memoryBytes : hostMemory().stream()
                .map(total -> Math.max(total - Math.max(MIN_RESERVE, total / 10), total / 2)).findFirst()
                .orElse(Long.MAX_VALUE));
    }

    private static OptionalLong hostMemory() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/meminfo"));
            return lines.stream().filter(l -> l.startsWith("MemTotal:"))
                    .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024).findFirst();
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** Takes room for one instance whose memory limit is {@code bytes}; false if the node has none left. */
    synchronized boolean tryReserve(long bytes) {
        if (instances >= maxInstances || memoryBytes + bytes > maxMemoryBytes) {
            return false;
        }
        instances++;
        memoryBytes += bytes;
        return true;
    }

    /** Gives back what {@link #tryReserve} took. */
    synchronized void release(long bytes) {
        instances--;
        memoryBytes -= bytes;
    }

    /** An instance holding {@code bytes} left its pool and is stopping: its room comes back with {@link #stopped}. */
    synchronized void stopping(long bytes) {
        stoppingInstances++;
        stoppingBytes += bytes;
    }

    /** The instance of {@link #stopping} has stopped: its room is given back. */
    synchronized void stopped(long bytes) {
        stoppingInstances--;
        stoppingBytes -= bytes;
        release(bytes);
    }

    /**
     * Whether {@code bytes} would fit once the instances stopping now, and {@code evictable} more instances holding
     * {@code evictableBytes}, had stopped: an eviction that cannot make room, or is not needed because room is on its
     * way, stops nothing. Else a call that does not fit stopped one idle instance after another for a room it never
     * got, or, with the room of each stop coming back only seconds later, every idle instance of the node at once.
     */
    synchronized boolean fitsOnceStopped(int evictable, long evictableBytes, long bytes) {
        return instances - stoppingInstances - evictable < maxInstances
                && memoryBytes - stoppingBytes - evictableBytes + bytes <= maxMemoryBytes;
    }

    /**
     * Refuses a manifest no instance of which could ever start here: its memory limit alone is more than the budget.
     * Such a start would wait until its timeout for room that never comes.
     */
    public DeployPolicy fitsOneInstance() {
        return manifest -> {
            long bytes = manifest.limits().memoryBytes();
            if (bytes > maxMemoryBytes) {
                throw new InvalidFunctionException("invalid_manifest", "limits.memory of " + (bytes >> 20) + " MiB is "
                        + "more than this node's budget for instances' memory limits (" + (maxMemoryBytes >> 20)
                        + " MiB, nodeMemory): no instance of it could start");
            }
        };
    }

    public synchronized Use use() {
        return new Use(instances, memoryBytes, maxInstances, maxMemoryBytes);
    }
}
