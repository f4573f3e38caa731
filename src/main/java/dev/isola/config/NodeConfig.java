package dev.isola.config;

/**
 * The node's budget for instances, all functions together: the keys {@code nodeMaxInstances} and
 * {@code nodeMemory}. A start past it waits (idle instances of other functions are stopped first to make room).
 *
 * @param maxInstances live instances at once, starting ones included
 * @param memoryBytes  what the instances' memory limits ({@code limits.memory}) may add up to; 0: the host's memory
 *                     less a reserve for Isola and the host (10 %, at least 1 GiB)
 */
public record NodeConfig(int maxInstances, long memoryBytes) {
    public static final int MAX_INSTANCES = 1_000_000;

    public NodeConfig {
        IsolaConfig.require(maxInstances >= 1 && maxInstances <= MAX_INSTANCES, "nodeMaxInstances",
                "must be between 1 and " + MAX_INSTANCES);
        IsolaConfig.require(memoryBytes == 0 || memoryBytes >= 16L << 20, "nodeMemory",
                "must be 0 (the host's memory less a reserve) or at least 16Mi");
    }

    /**
     * 4096 instances: past what the default file limit of a service leaves room for (each instance holds a few
     * descriptors), and memory from the host.
     */
    public static NodeConfig defaults() {
        return new NodeConfig(4096, 0);
    }
}
