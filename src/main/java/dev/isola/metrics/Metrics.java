package dev.isola.metrics;

/**
 * What the platform reports about itself. A tiny interface so the hot path calls plain methods and tests or a
 * disabled exporter use {@link #NOOP}.
 */
public interface Metrics {
    /** One invocation finished (any status), measured from request arrival to the last byte sent. */
    void invoked(String function, String backend, boolean coldStart, int status, long durationNanos);

    /** A new instance became ready after {@code nanos}. */
    void coldStarted(String function, String backend, long nanos);

    /** Requests being served changed by {@code delta}. */
    void inFlight(String function, String backend, int delta);

    Metrics NOOP = new Metrics() {
        @Override
        public void invoked(String function, String backend, boolean coldStart, int status, long durationNanos) {
        }

        @Override
        public void coldStarted(String function, String backend, long nanos) {
        }

        @Override
        public void inFlight(String function, String backend, int delta) {
        }
    };
}
