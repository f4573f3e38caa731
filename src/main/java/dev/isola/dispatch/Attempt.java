package dev.isola.dispatch;

import java.util.function.Supplier;

/** What an {@link InstancePool} answers; the dispatcher turns it into an {@link Acquisition}. */
sealed interface Attempt {
    /** The call's outcome. */
    record Done(Acquisition acquisition) implements Attempt {
    }

    /**
     * The rest must run on a thread that may block: a start reserved for the call, or a wait for a slot until
     * {@code deadlineNanos} (of the pool's ticker), which {@code ticket} ends when the caller goes away.
     */
    record Later(Supplier<Attempt> rest, long deadlineNanos, CallTicket ticket) implements Attempt {
    }

    /** The pool's version was replaced or removed: the dispatcher tries the function's current version. */
    record Drained() implements Attempt {
    }
}
