package dev.isola.store;

import dev.isola.async.CallStore;
import dev.isola.function.FunctionName;
import dev.isola.function.FunctionStore;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;

/**
 * Durable metadata of deployed functions ({@link FunctionStore}) and of their invocations, in one SQLite file under
 * the state directory.
 * Artefacts are files elsewhere; rows only point at them. Faults are {@link StoreException}s. Thread-safe.
 */
public interface Store extends FunctionStore, InvocationLog, AutoCloseable {

    /** Opens (creating parent directories, the file and the schema as needed) the database at {@code dbFile}. */
    static Store open(Path dbFile) {
        return open(dbFile, InvocationRetention.DEFAULT, InstantSource.system());
    }

    /** As {@link #open(Path)}, keeping invocation records as {@code retention} says, by {@code clock}'s time. */
    static Store open(Path dbFile, InvocationRetention retention, InstantSource clock) {
        return SqliteStore.open(dbFile, retention, clock);
    }

    /**
     * Queues one invocation record for writing; never does I/O on the calling thread. A background thread writes in
     * batches. If the queue is full the record is dropped and counted in {@link #droppedInvocations()}.
     */
    @Override
    void record(InvocationRecord invocation);

    /** Records dropped because the queue was full, the store was closed, or a batch failed to write. */
    long droppedInvocations();

    /** Blocks until every record queued before this call has been written (or dropped on a write fault). */
    void flush();

    /** As {@link #flush()}, waiting at most {@code within}; false when that passed first (the writer is behind). */
    boolean flush(Duration within);

    /** The newest {@code limit} invocations of {@code function}, newest first. */
    List<InvocationRecord> recentInvocations(FunctionName function, int limit);

    long invocationCount(FunctionName function);

    /** The asynchronous calls, in the same database; closed with the store. */
    CallStore calls();

    /** Flushes queued records, stops the writer and closes the database. Idempotent. */
    @Override
    void close();
}
