package dev.isola.gateway;

/**
 * Where a client connection is between its requests, for the limits on slow clients ({@link ClientDeadlines}).
 * <pre>
 * READING_HEAD → EXCHANGING (the head is complete)
 * EXCHANGING   → IDLE (answered; the connection is kept for the next request)
 * IDLE         → READING_HEAD (bytes of the next request, not yet a head) | EXCHANGING (a whole head at once)
 * any but CLOSED → CLOSED: 408 for a late head or a slow body, the keep-alive timeout, the client or the edge
 *                  closed it, an answer without keep-alive
 * </pre>
 */
enum ClientPhase {
    /** A request head is arriving; it has {@code headerTimeout} in all. */
    READING_HEAD,
    /** A request is served; its body, while it arrives, must keep {@code minBodyRate}. */
    EXCHANGING,
    /** Answered, kept alive, nothing of the next request yet: {@code keepAliveTimeout}. */
    IDLE,
    /** Closed or closing; nothing moves from here. */
    CLOSED;

    /** The transition table: whether {@code next} may follow this phase. Anything but CLOSED may close. */
    boolean leadsTo(ClientPhase next) {
        if (next == CLOSED) {
            return this != CLOSED;
        }
        return switch (this) {
            case READING_HEAD -> next == EXCHANGING;
            case EXCHANGING -> next == IDLE;
            case IDLE -> next == READING_HEAD || next == EXCHANGING;
            case CLOSED -> false;
        };
    }
}
