package dev.isola.function;

import java.time.Duration;

/**
 * Resource limits of one instance and the invocation timeout. Defaults follow the paper: 1 vCPU, 512 MiB.
 */
public record Limits(long memoryBytes, double cpus, Duration timeout) {
    public static final long DEFAULT_MEMORY = 512L << 20;
    public static final Limits DEFAULT = new Limits(DEFAULT_MEMORY, 1.0, Duration.ofSeconds(30));

    public Limits {
        if (memoryBytes < (16L << 20) || memoryBytes > (64L << 30)) {
            throw new InvalidFunctionException("invalid_manifest", "limits.memory must be between 16Mi and 64Gi");
        }
        if (!(cpus >= 0.01 && cpus <= 64)) {
            throw new InvalidFunctionException("invalid_manifest", "limits.cpus must be between 0.01 and 64");
        }
        if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(Duration.ofHours(1)) > 0) {
            throw new InvalidFunctionException("invalid_manifest", "limits.timeout must be between 1ms and 1h");
        }
    }
}
