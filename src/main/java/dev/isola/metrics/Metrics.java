package dev.isola.metrics;

import java.util.List;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * What the platform reports about itself. A tiny interface so the hot path calls plain methods and tests or a
 * disabled exporter use {@link #NOOP}.
 */
public interface Metrics {
    /**
     * The series of one function on one backend. A request looks them up once and reports through them: label
     * lookups cost hashing and map reads, which showed in the gateway's profile at three per request.
     */
    FunctionMetrics of(String function, String backend);

    /** A new instance became ready after {@code nanos}; {@code start} says how it started (cold, standby, clone). */
    void coldStarted(String function, String backend, String start, long nanos);

    /** Reports, whenever metrics are read, how many instances each function has in each state. */
    void watchInstances(Supplier<List<InstanceGroup>> census);

    /** Reports, whenever metrics are read, how many instance starts wait for their turn (CPU saturated). */
    void watchStartsWaiting(IntSupplier waiting);

    /** Reports, whenever metrics are read, how many times the firewall was found missing or altered and restored. */
    void watchFirewallRestores(LongSupplier restores);

    /** Reports, whenever metrics are read, how many invocation records the store dropped (queue full, write failed). */
    void watchDroppedInvocationRecords(LongSupplier dropped);

    /** A client connection was refused: {@code maxClientConnections} were open. Called on an event loop. */
    void clientConnectionRefused();

    /** Reports, whenever metrics are read, how many client connections the edge has open. */
    void watchClientConnections(IntSupplier open);

    /** Reports, whenever metrics are read, how much of the node's budget the instances hold, and its bounds. */
    void watchNodeBudget(Supplier<Budget> budget);

    /** The node's budget: instances and the sum of their memory limits, held and at most. */
    record Budget(int instances, long memoryBytes, int maxInstances, long maxMemoryBytes) {
    }

    /** Reports, whenever metrics are read, each function's asynchronous calls waiting to run. */
    void watchAsyncQueues(Supplier<List<AsyncQueue>> queues);

    /** An attempt of an asynchronous call of {@code function} began. */
    void asyncAttempted(String function);

    /** An asynchronous call of {@code function} ended {@code succeeded} or {@code failed}. */
    void asyncFinished(String function, String state);

    /** A function's asynchronous calls waiting to run, and how long the oldest of them has waited. */
    record AsyncQueue(String function, int queued, double oldestAgeSeconds) {
    }

    /** The instances of one function on one backend in one state ({@code starting}, {@code ready}, ...). */
    record InstanceGroup(String function, String backend, String state, int instances) {
    }

    /** The series of one function on one backend. */
    interface FunctionMetrics {
        /** One invocation finished (any status), measured from request arrival to the last byte sent. */
        void invoked(boolean coldStart, int status, long durationNanos);

        /** Requests being served changed by {@code delta}. */
        void inFlight(int delta);
    }

    Metrics NOOP = new Metrics() {
        private static final FunctionMetrics NONE = new FunctionMetrics() {
            @Override
            public void invoked(boolean coldStart, int status, long durationNanos) {
            }

            @Override
            public void inFlight(int delta) {
            }
        };

        @Override
        public FunctionMetrics of(String function, String backend) {
            return NONE;
        }

        @Override
        public void coldStarted(String function, String backend, String start, long nanos) {
        }

        @Override
        public void watchInstances(Supplier<List<InstanceGroup>> census) {
        }

        @Override
        public void watchStartsWaiting(IntSupplier waiting) {
        }

        @Override
        public void clientConnectionRefused() {
        }

        @Override
        public void watchClientConnections(IntSupplier open) {
        }

        @Override
        public void watchFirewallRestores(LongSupplier restores) {
        }

        @Override
        public void watchDroppedInvocationRecords(LongSupplier dropped) {
        }

        @Override
        public void watchAsyncQueues(Supplier<List<AsyncQueue>> queues) {
        }

        @Override
        public void watchNodeBudget(Supplier<Budget> budget) {
        }

        @Override
        public void asyncAttempted(String function) {
        }

        @Override
        public void asyncFinished(String function, String state) {
        }
    };
}
