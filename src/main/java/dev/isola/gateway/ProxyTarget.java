package dev.isola.gateway;

import io.netty.handler.codec.http.HttpHeaders;

/**
 * Where a {@link ProxyExchange} sends its request and what the platform does around it. Called on the exchange's
 * event loop unless a method says otherwise.
 */
interface ProxyTarget {
    /**
     * Finds the upstream and answers with exactly one of {@link ProxyExchange#opened} or
     * {@link ProxyExchange#rejected}, on the exchange's loop, now or later (a cold start takes a while).
     */
    void open(ProxyExchange exchange);

    /**
     * The exchange ended before {@link #open} answered (the client went away, or sent its body too slowly): a call
     * waiting for a slot gives up its place in the function's queue.
     */
    default void abandon() {
    }

    /** Adds the platform's own response headers. */
    void decorate(HttpHeaders headers);

    /**
     * Ends the request's hold on the upstream; called exactly once for every {@code opened} that
     * {@link #retryElsewhere} did not end.
     */
    void finish(int status, boolean healthy);

    /**
     * No connection to the upstream could be made, so none of the request reached it: ends the hold on it as
     * unhealthy (unless {@link #busyNotBroken}) and answers whether the exchange may {@link #open} once more to find
     * another upstream (what nginx's {@code proxy_next_upstream error} does). When it answers true, the call is not over, so nothing is recorded.
     */
    default boolean retryElsewhere(String cause) {
        return false;
    }

    /**
     * Whether a request that failed with {@code cause} leaves the upstream healthy all the same (it was busy, not
     * broken), so that ending the hold does not replace it. {@code connected}: the connection was made, so the
     * request went out (in part at least) before it failed. Takes the pool's lock briefly, as an acquisition does.
     */
    default boolean busyNotBroken(String cause, boolean connected) {
        return false;
    }

    /** Whether the upstream was started for this request (a cold start), so may not accept connections quite yet. */
    default boolean fresh() {
        return false;
    }

    /** Whether the upstream may still answer (its sandbox has not exited). Cheap: a flag, no waiting. */
    default boolean alive() {
        return true;
    }

    /**
     * The call failed and is answered {@code status} with {@code code} and {@code message}, under {@code requestId}:
     * notes it where the operator looks.
     */
    default void failed(String requestId, int status, String code, String message) {
    }

    /** Who is talking, for error messages: {@code fn=hello inst=hello-3}. */
    String label();

    /**
     * Says in words why the upstream failed, {@code cause} being what the connection saw. May block (it waits for a
     * dying sandbox to be reaped to say "out of memory"), so it is called on a virtual thread, never on the loop.
     */
    String describeFailure(String cause);
}
