package dev.isola.dispatch;

import dev.isola.sandbox.spi.StartKind;

import java.time.Instant;
import java.util.OptionalLong;

/**
 * A read-only snapshot of one instance, for the API and metrics.
 *
 * @param start how the instance started: {@code cold}, {@code standby}, {@code clone} ({@link StartKind})
 * @param pid host process id of the sandbox's root process, once it runs and when the backend has one (see
 *            {@link dev.isola.sandbox.spi.Instance#pid()})
 */
public record InstanceView(String id, String function, int version, String backend, InstanceState state,
                           String endpoint, Instant startedAt, int inFlight, long served, double coldStartMillis,
                           String start, OptionalLong pid) {
}
