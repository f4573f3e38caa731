package dev.isola.store;

import dev.isola.function.FunctionName;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Durable metadata of deployed functions and their invocations, in one SQLite file under the state directory.
 * Artefacts are files elsewhere; rows only point at them. Faults are {@link StoreException}s. Thread-safe.
 */
public interface Store extends AutoCloseable {

    /** Opens (creating parent directories, the file and the schema as needed) the database at {@code dbFile}. */
    static Store open(Path dbFile) {
        return SqliteStore.open(dbFile);
    }

    /**
     * The number the next version of {@code name} gets: one above any version it ever had, so a number is never
     * reused, not even after the function was deleted (caches keyed by name and version stay correct). Does not
     * reserve the number: callers serialise deploys of one name.
     */
    int nextVersion(FunctionName name);

    /** @throws StoreException also if that name and version already exist */
    void insertVersion(VersionRow row);

    Optional<VersionRow> latest(FunctionName name);

    /** All stored versions of {@code name}, oldest first. */
    List<VersionRow> versions(FunctionName name);

    /** The latest version of every function, sorted by name. */
    List<VersionRow> latestOfEach();

    /** Removes every version row of {@code name}; its invocation records stay. Returns whether any row existed. */
    boolean deleteFunction(FunctionName name);

    /**
     * Queues one invocation record for writing; never does I/O on the calling thread. A background thread writes in
     * batches. If the queue is full the record is dropped and counted in {@link #droppedInvocations()}.
     */
    void record(InvocationRecord invocation);

    /** Records dropped because the queue was full, the store was closed, or a batch failed to write. */
    long droppedInvocations();

    /** Blocks until every record queued before this call has been written (or dropped on a write fault). */
    void flush();

    /** The newest {@code limit} invocations of {@code function}, newest first. */
    List<InvocationRecord> recentInvocations(FunctionName function, int limit);

    long invocationCount(FunctionName function);

    /** Flushes queued records, stops the writer and closes the database. Idempotent. */
    @Override
    void close();
}
