package dev.isola.store;

/** Where the edge records each invocation it answered: the basis of per-millisecond usage accounting. */
@FunctionalInterface
public interface InvocationLog {
    /**
     * Queues one invocation record for writing; never does I/O on the calling thread (the edge's event loop). If the
     * queue is full the record is dropped and counted.
     */
    void record(InvocationRecord invocation);
}
