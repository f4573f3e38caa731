package dev.isola.function;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where the {@link FunctionService} records deployed versions; the store package adapts a database to it. Faults
 * are unchecked exceptions of the adapter. Thread-safe.
 */
public interface FunctionStore {
    /**
     * The number the next version of {@code name} gets: one above any version it ever had, so a number is never
     * reused, not even after the function was deleted (caches keyed by name and version stay correct). Does not
     * reserve the number: callers serialise deploys of one name.
     */
    int nextVersion(FunctionName name);

    /** Records a version; fails also if that name and version already exist. */
    void insertVersion(FunctionVersion version);

    Optional<FunctionVersion> latest(FunctionName name);

    /** All stored versions of {@code name}, oldest first. */
    List<FunctionVersion> versions(FunctionName name);

    /** The version of {@code name} that serves, which need not be the latest (a staged deploy, a rollback). */
    Optional<FunctionVersion> active(FunctionName name);

    /** The active version of every function, sorted by name. */
    List<FunctionVersion> activeOfEach();

    /**
     * Makes {@code version} of {@code name} the one that serves, durably; the version active until now becomes the
     * previous one. Returns false, changing nothing, if that version is not stored.
     */
    boolean activate(FunctionName name, int version);

    /**
     * Splits the calls of {@code name} between stored versions by {@code weights} (version to percent), durably; the
     * version {@code primary} becomes the active one as by {@link #activate}. Returns false, changing nothing, if a
     * version is not stored. {@link #activate} ends a split.
     */
    boolean split(FunctionName name, int primary, Map<Integer, Integer> weights);

    /** The split of {@code name}'s calls, version to percent; empty when the active version takes them all. */
    Map<Integer, Integer> traffic(FunctionName name);

    /** The version that was active before the current one, if it is still stored. */
    Optional<FunctionVersion> previous(FunctionName name);

    /** Removes every version of {@code name} and its invocation records. Returns whether any version existed. */
    boolean deleteFunction(FunctionName name);

    /**
     * Removes the rows of every version of {@code name} but the newest {@code keep}, the active and previous ones and
     * those in a traffic split (what serves, and what a rollback goes back to); how many went.
     */
    int pruneVersions(FunctionName name, int keep);
}
