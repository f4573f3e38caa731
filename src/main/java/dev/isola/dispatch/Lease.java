package dev.isola.dispatch;

import java.net.InetSocketAddress;

/** One request's hold on one slot of one instance. Released exactly once. */
public interface Lease {
    InetSocketAddress endpoint();

    String instanceId();

    String backend();

    /** Whether this request waited for the instance to start. */
    boolean coldStart();

    /** Nanoseconds this request spent waiting for the cold start (0 when warm). */
    long startNanos();

    /**
     * Gives the slot back. {@code healthy = false} when talking to the instance failed: the pool then checks whether
     * the instance died and replaces it.
     */
    void release(boolean healthy);
}
