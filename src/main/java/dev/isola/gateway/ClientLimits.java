package dev.isola.gateway;

import java.time.Duration;

/**
 * What the edge allows one client, so that a slow or idle one cannot hold a connection, or an instance's slot, for
 * ever (Slowloris and its kin: a head sent a byte at a time, a body trickled, connections opened and left open).
 * The function's own timeout, an absolute deadline from the request's head, is the lease's, not a field here.
 *
 * @param headerTimeout    how long a request head may take: from the accept, or on a keep-alive connection from the
 *                         first byte of the next request; then 408 {@code request_timeout} and the connection closes
 * @param keepAliveTimeout how long a keep-alive connection may wait for its next request; then it is closed, with no
 *                         answer (a 408 there would race the request a client sends on the connection it reuses)
 * @param minBodyRate      bytes per second a request body must average once {@code bodyRateGrace} is used up, while
 *                         the edge reads it (time it holds the client back does not count); 0: no minimum
 * @param bodyRateGrace    the head start a body has: it may be this late in all before it falls below the rate
 * @param maxConnections   client connections open at once; one more is answered 503 and closed
 */
public record ClientLimits(Duration headerTimeout, Duration keepAliveTimeout, long minBodyRate,
                           Duration bodyRateGrace, int maxConnections) {
    /**
     * Enough for a client on a lossy mobile link to lose a segment a few times over (Linux retransmits after 1 s,
     * then 2 s, 4 s: 3 s for two losses) before its body counts as slow, short enough that a trickling client is cut
     * early. Apache's mod_reqtimeout gives bodies 20 s at first, then a second more for every 500 bytes.
     */
    public static final Duration DEFAULT_BODY_RATE_GRACE = Duration.ofSeconds(5);

    public ClientLimits {
        positive(headerTimeout, "headerTimeout");
        positive(keepAliveTimeout, "keepAliveTimeout");
        positive(bodyRateGrace, "bodyRateGrace");
        if (minBodyRate < 0) {
            throw new IllegalArgumentException("Failed to set client limits: minBodyRate must not be negative");
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("Failed to set client limits: maxConnections must be at least 1");
        }
    }

    /** The server's defaults, as {@code IsolaConfig} has them; for tests. */
    static ClientLimits defaults() {
        return new ClientLimits(Duration.ofSeconds(10), Duration.ofSeconds(75), 1024, DEFAULT_BODY_RATE_GRACE, 10_000);
    }

    private static void positive(Duration d, String name) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("Failed to set client limits: " + name + " must be positive");
        }
    }
}
