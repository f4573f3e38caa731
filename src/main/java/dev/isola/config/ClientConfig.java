package dev.isola.config;

import java.time.Duration;

/**
 * The edge's limits on client connections, against clients that hold them (or an instance's slot) by being slow:
 * the keys {@code headerTimeout}, {@code keepAliveTimeout}, {@code minBodyRate} and {@code maxClientConnections}.
 *
 * @param headerTimeout        how long a request head may take, from the accept or, on a keep-alive connection, from
 *                             the first byte of the next request; then 408 and close
 * @param keepAliveTimeout     how long a keep-alive connection may wait idle for its next request; then it closes
 * @param minBodyRate          bytes per second a request body must average after a grace of a few seconds; 0 turns
 *                             the minimum off
 * @param maxClientConnections client connections open at once; the next one is answered 503 and closed
 */
public record ClientConfig(Duration headerTimeout, Duration keepAliveTimeout, long minBodyRate,
                           int maxClientConnections) {
    /** Far beyond what an edge node's file descriptors allow (each connection is one, each call one more). */
    public static final int MAX_CLIENT_CONNECTIONS = 1_000_000;

    public ClientConfig {
        IsolaConfig.require(headerTimeout != null && headerTimeout.compareTo(Duration.ofMillis(100)) >= 0
                && headerTimeout.compareTo(Duration.ofHours(1)) <= 0, "headerTimeout", "must be between 100ms and 1h");
        IsolaConfig.require(keepAliveTimeout != null && keepAliveTimeout.compareTo(Duration.ofMillis(100)) >= 0
                        && keepAliveTimeout.compareTo(Duration.ofHours(24)) <= 0, "keepAliveTimeout",
                "must be between 100ms and 24h");
        IsolaConfig.require(minBodyRate >= 0 && minBodyRate <= 1L << 30, "minBodyRate",
                "must be between 0 (no minimum) and 1073741824 bytes per second");
        IsolaConfig.require(maxClientConnections >= 1 && maxClientConnections <= MAX_CLIENT_CONNECTIONS,
                "maxClientConnections", "must be between 1 and " + MAX_CLIENT_CONNECTIONS);
    }

    /**
     * 10 s for a head: a real client sends it in one segment, and a bad mobile link gets it through in a few seconds
     * (nginx's client_header_timeout is 60 s; HAProxy recommends 10 s for timeout http-request). 75 s of keep-alive, as
     * nginx: above the 60 s idle timeout of the usual load balancers (AWS ALB), which must be the side that closes
     * first, or a request they send on a connection the edge is closing fails. 1 KiB/s for a body, after 5 s of
     * grace: a trickle that slow has no use but to hold a slot. 10,000 connections: the C10k a single edge node is
     * sized for, in the default file limit of a systemd service (LimitNOFILE's hard 524288, to which the JVM raises).
     */
    public static ClientConfig defaults() {
        return new ClientConfig(Duration.ofSeconds(10), Duration.ofSeconds(75), 1024, 10_000);
    }
}
