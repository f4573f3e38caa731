package dev.isola.async;

import dev.isola.function.FunctionName;

import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where asynchronous calls are kept, durably: a call accepted with a 202 survives a crash of the server (and a power
 * loss), and a restart runs what was queued or running. Faults are unchecked exceptions. Thread-safe.
 */
public interface CallStore {
    /**
     * Stores {@code calls} in one transaction synced to the disk before it returns (one sync for many calls: the
     * group commit). Returns, for each call in order, the id it is known by: its own, or — for an idempotency key
     * that a call of the same function stored at or after {@code keysSince} carried — that first call's, and then
     * nothing is stored for it.
     */
    List<CallId> insert(List<NewCall> calls, Instant keysSince);

    /** The first call of {@code function} submitted at or after {@code since} with idempotency key {@code key}. */
    Optional<CallId> findByKey(FunctionName function, String key, Instant since);

    /** A queued call's attempt begins: it is {@code running}, its attempts one more. Empty if it is not queued. */
    Optional<Attempt> start(CallId id, Instant now);

    /** The attempt failed and the call is tried again at {@code next}. */
    void retry(CallId id, Instant next, Optional<CallResult> result, Optional<String> error);

    void finish(CallId id, CallState state, Instant at, Optional<CallResult> result, Optional<String> error);

    /** The attempt under way did not count (the server is stopping): the call is queued again as it was before it. */
    void requeue(CallId id, Instant next);

    void callbackOutcome(CallId id, String outcome);

    Optional<AsyncCall> find(CallId id);

    /** A function's calls, newest first, of one state or all; their results without headers or body. */
    List<AsyncCall> list(FunctionName function, Optional<CallState> state, int limit);

    /**
     * Every call not finished, by due time: what a starting server runs. Calls found {@code running} were cut short
     * by a crash; they are queued again, their interrupted attempt not counted, so that they run at least once more.
     */
    List<Pending> recover();

    /**
     * Cancels a call that has not run (a queued one: it is deleted). Returns the state the call was in, or empty
     * when there is no such call; only a {@code QUEUED} answer means it was cancelled.
     */
    Optional<Cancel> cancel(CallId id);

    /** What a cancel found: the call's state, and the bytes of body it kept if it was cancelled. */
    record Cancel(CallState state, long bodyBytes) {
    }

    /** Ends the queued calls of a function that was deleted as {@code failed}; the calls ended. */
    List<Ended> failQueued(FunctionName function, String error, Instant at);

    /** A call ended without an attempt, whether it has a callback to tell, and the bytes of body it kept. */
    record Ended(CallId id, boolean callback, long bodyBytes) {
    }

    /**
     * Deletes finished calls that finished before {@code before}, the oldest beyond the newest {@code keep}, and the
     * oldest whose results (body and headers) pass {@code keepBytes} counted from the newest; the number deleted.
     */
    int pruneFinished(Instant before, long keep, long keepBytes);

    /** Calls queued or running: the queue's depth. */
    long unfinished();

    /** Bytes of request body the calls queued or running keep. */
    long unfinishedBodyBytes();

    /** Finished calls with a callback whose delivery has no outcome yet (the server stopped before it). */
    List<CallId> undeliveredCallbacks();

    /** An attempt to run: the call as stored, and which attempt this is (1 for the first). */
    record Attempt(CallId id, FunctionName function, CallRequest request, Optional<URI> callback, int number) {
    }

    /** A call waiting to run. */
    record Pending(CallId id, FunctionName function, Instant submitted, Instant due) {
    }
}
