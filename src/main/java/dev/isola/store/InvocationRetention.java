package dev.isola.store;

import java.time.Duration;

/**
 * How long invocation records are kept: none older than {@code maxAge}, and no more than the newest {@code maxRows}
 * (about 60 bytes each on disk with the index), so a busy node's database stays within a small edge disk whatever
 * its traffic. Records go with their function too.
 */
public record InvocationRetention(Duration maxAge, long maxRows) {
    /** A week, and a million records (tens of MiB). */
    public static final InvocationRetention DEFAULT = new InvocationRetention(Duration.ofDays(7), 1_000_000);

    public InvocationRetention {
        if (maxAge.isNegative() || maxAge.isZero() || maxRows < 1) {
            throw new IllegalArgumentException("invocation retention needs a positive age and row count, got "
                    + maxAge + " and " + maxRows);
        }
    }
}
