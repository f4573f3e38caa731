package dev.isola.gateway;

/**
 * Where a {@link ProxyExchange} is, and the moves it may make; the exchange's class comment draws the machine. The
 * request body is no state of its own: the client may still be sending it in any state but DONE.
 */
enum ProxyState {
    /** The target is finding the upstream (a cold start takes a while); body pieces are held, the client paused. */
    AWAITING_TARGET,
    /**
     * A new connection is under way ({@link UpstreamConnect}: a fresh instance's refusals are tried again; one that
     * cannot be made sends the call back to the target, once, to find another instance).
     */
    CONNECTING,
    /** The request went (its body may still be arriving); the answer's head has not come. */
    AWAITING_HEAD,
    /** A 1xx answer is being dropped: the edge answered {@code Expect} itself. */
    SKIPPING_INTERIM,
    /** The borrowed connection was found closed; the same request goes once more, on a new connection. */
    RECONNECTING,
    /** The answer's head went to the client; its body follows. */
    STREAMING_RESPONSE,
    /** Over, answered or failed; nothing moves from here. */
    DONE;

    /** The transition table: whether {@code next} may follow this state. Anything but DONE may end. */
    boolean leadsTo(ProxyState next) {
        if (next == DONE) {
            return this != DONE;
        }
        return switch (this) {
            case AWAITING_TARGET -> next == CONNECTING || next == AWAITING_HEAD;
            case CONNECTING, RECONNECTING -> next == AWAITING_HEAD || next == AWAITING_TARGET;
            case AWAITING_HEAD -> next == SKIPPING_INTERIM || next == STREAMING_RESPONSE || next == RECONNECTING;
            case SKIPPING_INTERIM -> next == AWAITING_HEAD || next == RECONNECTING;
            case STREAMING_RESPONSE, DONE -> false;
        };
    }

    /**
     * Whether the function's timeout can end the exchange: once the target opened (its deadline runs from the
     * request's head) until the end. Before that the dispatcher bounds the wait itself.
     */
    boolean timed() {
        return this != AWAITING_TARGET && this != DONE;
    }
}
