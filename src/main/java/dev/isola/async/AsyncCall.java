package dev.isola.async;

import dev.isola.function.FunctionName;

import java.net.URI;
import java.time.Instant;
import java.util.Optional;

/**
 * An asynchronous call as stored: what was asked, where it stands, and how it ended.
 *
 * @param attempts        attempts started so far
 * @param nextAttempt     when a queued call is tried (again)
 * @param error           why the last attempt failed, when it got no answer (a timeout, an instance failure)
 * @param callbackOutcome how the delivery of the result to {@code callback} went, once it was tried
 */
public record AsyncCall(CallId id, FunctionName function, String method, String target, CallState state,
                        int attempts, Instant submitted, Optional<Instant> started, Optional<Instant> finished,
                        Optional<Instant> nextAttempt, Optional<CallResult> result, Optional<String> error,
                        Optional<URI> callback, Optional<String> callbackOutcome) {
}
