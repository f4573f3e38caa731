package dev.isola.function;

import java.util.Map;

/**
 * The wire shape of {@code function.yaml}, exactly as Jackson reads it: every field is optional here (absent is
 * {@code null}) so that {@link ManifestParser} can say which one is missing. Never leaves the parser.
 */
record ManifestWire(String name, String runtime, String entry, String handler, Map<String, String> env,
                    String backend, String kernel, Boolean egress, LimitsWire limits, ScalingWire scaling,
                    AsyncWire async) {

    /** Quantities stay strings so that {@code 512Mi}, {@code 30s} and plain numbers all arrive unchanged. */
    record LimitsWire(String memory, Double cpus, String timeout) {
    }

    record ScalingWire(Integer concurrency, Integer minInstances, Integer maxInstances, String idleTimeout,
                       Boolean singleUse, Integer standby, Boolean clones) {
    }

    record AsyncWire(Integer maxAttempts, String timeout, Integer concurrency) {
    }
}
