package dev.isola.dispatch;

import java.time.Instant;

/** A read-only snapshot of one instance, for the API and metrics. */
public record InstanceView(String id, String function, int version, String backend, InstanceState state,
                           String endpoint, Instant startedAt, int inFlight, long served, double coldStartMillis) {
}
