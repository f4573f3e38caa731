package dev.isola.dispatch;

import dev.isola.function.FunctionName;

/** Outcome of {@link Dispatcher#acquire}: exactly one of these, mapped to HTTP status in one switch. */
public sealed interface Acquisition {
    /** An instance with a free slot; the caller must {@link Lease#release} it. */
    record Acquired(Lease lease) implements Acquisition { }

    record NotFound(FunctionName name) implements Acquisition { }

    /** The wait queue of the function is full. */
    record Saturated(String message) implements Acquisition { }

    /** A new instance was needed and could not be started. */
    record StartFailed(String message) implements Acquisition { }

    /** No slot became free before the deadline. */
    record TimedOut(String message) implements Acquisition { }
}
