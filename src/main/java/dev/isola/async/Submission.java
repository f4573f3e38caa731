package dev.isola.async;

/** How the edge answers a call to {@code /async-function/{name}}. */
public sealed interface Submission {
    /** Stored durably: 202 with {@code X-Call-Id}. {@code repeated}: the idempotency key named an earlier call. */
    record Accepted(CallId id, boolean repeated) implements Submission {
    }

    /** The function is not deployed: 404, nothing stored. */
    record NotFound() implements Submission {
    }

    /** The callback URL is not one the operator allows: 400. */
    record CallbackRefused(String reason) implements Submission {
    }

    /** The queue is full (by {@code asyncQueueLimit} or {@code asyncQueueBytes}): 429. */
    record QueueFull(String what, String setting) implements Submission {
    }

    /** The server is stopping, or the store failed: 503, nothing stored. */
    record Unavailable(String reason) implements Submission {
    }
}
