package dev.isola.function;

import java.time.Duration;

/**
 * How the dispatcher scales a function.
 *
 * @param concurrency  requests one instance serves at once
 * @param minInstances instances kept warm even when idle
 * @param maxInstances upper bound of live instances (starting ones included)
 * @param idleTimeout  an instance idle this long is stopped (scale to zero)
 * @param singleUse    every invocation gets a fresh instance that is stopped afterwards (the paper's cold-start mode)
 * @param standby      sandboxes kept created but not started, so that a start needs only their start (backends that
 *                     offer it: runc, crun, runsc)
 * @param clones       whether new microVM instances may resume from the version's saved template instead of booting
 *                     (on by default where the backend makes templates; off for a function whose start-up makes
 *                     what must differ per instance, such as a key or a seeded userspace random generator)
 */
public record Scaling(int concurrency, int minInstances, int maxInstances, Duration idleTimeout, boolean singleUse,
                      int standby, boolean clones) {
    /**
     * About what one host's bridges hold (64 of 1,023 ports): the node's budget ({@code nodeMaxInstances}, 4,096 by
     * default) is what bounds all functions' instances together.
     */
    public static final int MAX_INSTANCES = 65_536;
    /**
     * "Never" in practice; the housekeeper counts idleness in nanoseconds, which hold about 292 years. Declared
     * before {@link #DEFAULT}, whose construction checks it.
     */
    public static final Duration MAX_IDLE_TIMEOUT = Duration.ofDays(365);
    public static final Scaling DEFAULT = new Scaling(100, 0, 8, Duration.ofMinutes(5), false, 0, true);
    /** Standby sandboxes hold a network namespace, a veth and a cgroup each: a bound per function version. */
    public static final int MAX_STANDBY = 64;

    public Scaling {
        if (concurrency < 1 || concurrency > 10_000) {
            throw new InvalidFunctionException("invalid_manifest", "scaling.concurrency must be between 1 and 10000");
        }
        if (maxInstances < 1 || maxInstances > MAX_INSTANCES) {
            throw new InvalidFunctionException("invalid_manifest", "scaling.maxInstances must be between 1 and "
                    + MAX_INSTANCES);
        }
        if (minInstances < 0 || minInstances > maxInstances) {
            throw new InvalidFunctionException("invalid_manifest", "scaling.minInstances must be between 0 and maxInstances");
        }
        if (idleTimeout.isNegative() || idleTimeout.isZero() || idleTimeout.compareTo(MAX_IDLE_TIMEOUT) > 0) {
            throw new InvalidFunctionException("invalid_manifest", "scaling.idleTimeout must be positive and at most "
                    + MAX_IDLE_TIMEOUT.toHours() + "h");
        }
        if (standby < 0 || standby > Math.min(maxInstances, MAX_STANDBY)) {
            throw new InvalidFunctionException("invalid_manifest", "scaling.standby must be between 0 and maxInstances"
                    + " (at most " + MAX_STANDBY + ")");
        }
        if (singleUse && minInstances > 0) {
            throw new InvalidFunctionException("invalid_manifest", "scaling.singleUse cannot be combined with minInstances > 0");
        }
    }
}
