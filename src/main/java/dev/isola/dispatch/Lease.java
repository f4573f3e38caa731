package dev.isola.dispatch;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;

/** One request's hold on one slot of one instance. Released exactly once. */
public interface Lease {
    InetSocketAddress endpoint();

    String instanceId();

    /** The function version serving the call, in decimal (the {@code X-Isola-Version} header). */
    String version();

    String backend();

    /** The function's timeout: how long its answer may take. */
    Duration timeout();

    /** Whether this request waited for the instance to start. */
    boolean coldStart();

    /** Nanoseconds this request spent waiting for the cold start (0 when warm). */
    long startNanos();

    /** Whether the instance's sandbox still runs (cheap; {@link #exitReason} says why not). */
    boolean instanceAlive();

    /**
     * Whether the instance is serving other requests than this one right now: a connection it did not accept in time
     * then means it is busy (its accept queue full), not that it is broken.
     */
    boolean servingOthers();

    /**
     * Why the instance stopped, if it did: called after an exchange failed, it waits briefly for the sandbox to be
     * reaped so the caller can say "out of memory" instead of "connection closed". May block.
     */
    Optional<String> exitReason();

    /**
     * Gives the slot back. {@code healthy = false} when talking to the instance failed: the pool then checks whether
     * the instance died and replaces it.
     */
    void release(boolean healthy);
}
