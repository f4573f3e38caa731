package dev.isola.dispatch;

/**
 * How a call that waits for a slot learns that its caller went away: the wait ends at once, and its place in the
 * function's queue is free for others. Without it, a caller could send a request to a busy function, hang up, and
 * hold a place in its queue until the function's timeout, costing nothing but the request: a few hundred such
 * requests and every honest call gets 429. A start already begun for the call goes on; its instance serves the
 * next one.
 */
final class CallTicket {
    private volatile boolean abandoned;
    /** The pool the call waits in now, if it waits: the one to wake. */
    private volatile InstancePool waitingIn;

    /** The caller went away. */
    void abandon() {
        abandoned = true;
        InstancePool pool = waitingIn;
        if (pool != null) {
            pool.wakeWaiters();
        }
    }

    boolean abandoned() {
        return abandoned;
    }

    /**
     * Called under {@code pool}'s lock before the call checks {@link #abandoned()} and waits there: an abandon after
     * that check takes the same lock to wake it, so none is missed.
     */
    void waitsIn(InstancePool pool) {
        waitingIn = pool;
    }
}
