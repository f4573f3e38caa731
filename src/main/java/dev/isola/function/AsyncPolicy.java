package dev.isola.function;

import java.time.Duration;

/**
 * How a function's asynchronous calls ({@code /async-function/{name}}) run: the manifest's {@code async} section.
 *
 * @param maxAttempts how often a call is tried before it ends {@code failed} (5xx, 429, timeouts and instance
 *                    failures are tried again, with exponential backoff)
 * @param timeout     how long one attempt may take; at most the function's {@code limits.timeout}, which the
 *                    gateway enforces on every call
 * @param concurrency attempts of this function running at once; at most half of its slots ({@code maxInstances} ×
 *                    {@code concurrency}), so that asynchronous work never takes every instance from synchronous
 *                    callers
 */
public record AsyncPolicy(int maxAttempts, Duration timeout, int concurrency) {
    public static final int MAX_ATTEMPTS = 20;
    /** The default concurrency, for functions with room for more: enough to drain a backlog, small next to a node. */
    static final int DEFAULT_CONCURRENCY = 8;
    static final int DEFAULT_ATTEMPTS = 3;

    public AsyncPolicy {
        if (maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS) {
            throw new InvalidFunctionException("invalid_manifest", "async.maxAttempts must be between 1 and "
                    + MAX_ATTEMPTS);
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new InvalidFunctionException("invalid_manifest", "async.timeout must be positive");
        }
        if (concurrency < 1) {
            throw new InvalidFunctionException("invalid_manifest", "async.concurrency must be at least 1");
        }
    }

    /** The policy of a manifest that says nothing about {@code async}. */
    public static AsyncPolicy defaults(Limits limits, Scaling scaling) {
        return new AsyncPolicy(DEFAULT_ATTEMPTS, limits.timeout(), Math.min(DEFAULT_CONCURRENCY, share(scaling)));
    }

    /** Half of a function's slots, at least one: the most of its capacity asynchronous calls may hold. */
    static int share(Scaling scaling) {
        long slots = (long) scaling.maxInstances() * (scaling.singleUse() ? 1 : scaling.concurrency());
        return (int) Math.max(1, slots / 2);
    }

    /** Checks what depends on the rest of the manifest: the timeout against the limit, the share of slots. */
    AsyncPolicy within(Limits limits, Scaling scaling) {
        if (timeout.compareTo(limits.timeout()) > 0) {
            throw new InvalidFunctionException("invalid_manifest", "async.timeout must not exceed limits.timeout ("
                    + ManifestUnits.formatDuration(limits.timeout()) + "), which bounds every call");
        }
        if (concurrency > share(scaling)) {
            throw new InvalidFunctionException("invalid_manifest", "async.concurrency must be at most " + share(scaling)
                    + ", half of the function's slots (scaling.maxInstances x scaling.concurrency), so that "
                    + "synchronous calls keep the rest");
        }
        return this;
    }
}
