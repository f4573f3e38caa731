package dev.isola.dispatch;

import java.time.Duration;

/**
 * When background work that keeps failing (starting a function's {@code minInstances}, making its standby
 * sandboxes) may try again: {@value #FIRST_SECONDS} s after the first failure, doubling up to
 * {@value #CAP_SECONDS} s, and at once again after a success. Kubernetes backs off a crash loop the same way
 * (10 s doubling to 5 min). A function whose code exits at start would otherwise build and tear down a sandbox at
 * every housekeeping round, for ever: a core's worth of work for nothing on a microVM under TCG, and a warning a
 * second in the log. Not thread-safe: its owner guards it.
 */
final class RetryBackoff {
    static final long FIRST_SECONDS = 2;
    static final long CAP_SECONDS = 300;

    private long delayNanos;
    private long retryAtNanos;

    /** Whether the work may run at {@code nowNanos}. */
    boolean due(long nowNanos) {
        return delayNanos == 0 || nowNanos - retryAtNanos >= 0;
    }

    /**
     * Notes a failure at {@code nowNanos}; the wait until the next try. A failure of a try that began with others
     * (one round's starts side by side) while a wait already runs leaves that wait as it is.
     */
    Duration failed(long nowNanos) {
        if (!due(nowNanos)) {
            return Duration.ofNanos(retryAtNanos - nowNanos);
        }
        delayNanos = delayNanos == 0 ? Duration.ofSeconds(FIRST_SECONDS).toNanos()
                : Math.min(delayNanos * 2, Duration.ofSeconds(CAP_SECONDS).toNanos());
        retryAtNanos = nowNanos + delayNanos;
        return Duration.ofNanos(delayNanos);
    }

    void succeeded() {
        delayNanos = 0;
    }
}
