package dev.isola.store;

import dev.isola.function.FunctionName;
import java.time.Instant;
import java.util.Objects;

/**
 * One finished invocation, the unit of usage accounting. {@code start} is stored with microsecond precision.
 *
 * @param status     HTTP status returned to the client
 * @param backend    sandbox type that served it
 * @param instanceId the instance that served it
 */
public record InvocationRecord(FunctionName function, Instant start, long durationMicros, boolean coldStart,
                               int status, String backend, String instanceId) {
    public InvocationRecord {
        Objects.requireNonNull(function, "function");
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(instanceId, "instanceId");
        if (durationMicros < 0) {
            throw new IllegalArgumentException("durationMicros must not be negative, got " + durationMicros);
        }
    }
}
