package dev.isola.dispatch;

import dev.isola.function.FunctionName;

import java.util.function.Supplier;

/** Outcome of {@link Dispatcher#acquire}: exactly one of these, mapped to HTTP status in one switch. */
public sealed interface Acquisition {
    /** An instance with a free slot; the caller must {@link Lease#release} it. */
    record Acquired(Lease lease) implements Acquisition {
    }

    /**
     * The call must wait for a slot or for an instance started for it; whether it starts one was decided already.
     * {@link #await()} does the waiting (or the start) and must run on a thread that may block.
     */
    record Pending(Supplier<Acquisition> rest, Runnable onAbandon) implements Acquisition {
        /** A call that cannot be abandoned. */
        public Pending(Supplier<Acquisition> rest) {
            this(rest, () -> { });
        }

        /** Blocks until the call has its outcome, which is never {@code Pending}. */
        public Acquisition await() {
            return rest.get();
        }

        /**
         * The caller went away: a wait for a slot ends at once ({@link Unavailable}), its place in the queue free;
         * a start already begun for the call goes on.
         */
        public void abandon() {
            onAbandon.run();
        }
    }

    record NotFound(FunctionName name) implements Acquisition {
    }

    /** The wait queue of the function is full. */
    record Saturated(String message) implements Acquisition {
    }

    /** A new instance was needed and could not be started on {@code backend}. */
    record StartFailed(String message, String backend) implements Acquisition {
    }

    /** The platform is shutting down and takes no new calls. */
    record Unavailable(String message) implements Acquisition {
    }

    /** No slot became free before the deadline. */
    record TimedOut(String message, String backend) implements Acquisition {
    }

    /** This outcome, or for a {@link Pending} one what it ends in: for callers that may block. */
    default Acquisition settled() {
        return this instanceof Pending pending ? pending.await() : this;
    }
}
