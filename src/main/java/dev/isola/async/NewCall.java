package dev.isola.async;

import dev.isola.function.FunctionName;

import java.net.URI;
import java.time.Instant;
import java.util.Optional;

/**
 * A call accepted at the edge, to be stored before its 202.
 *
 * @param idempotencyKey the client's {@code Idempotency-Key}: a second call of the same function with the same key
 *                       within the retention window is the first one
 */
public record NewCall(CallId id, FunctionName function, CallRequest request, Optional<URI> callback,
                      Optional<String> idempotencyKey, Instant submitted) {
}
