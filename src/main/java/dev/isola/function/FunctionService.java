package dev.isola.function;

import java.io.InputStream;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Deploys, lists and deletes functions: archive → manifest → build → artefact directory → store row.
 *
 * <p>Layout under the state directory: {@code functions/<name>/v<N>/} is the root filesystem of version N;
 * {@code tmp/} holds sources and builds in progress and is emptied when the service is created. One service owns a
 * state directory.
 */
public interface FunctionService {

    static FunctionService create(Path stateDir, FunctionStore store, FunctionBuilder builder, ArchiveLimits limits,
                                  DeployPolicy policy) {
        return new LocalFunctionService(stateDir, store, builder, limits, policy, InstantSource.system());
    }

    /**
     * Unpacks, validates, builds and records a new version of {@code nameFromUrl}. Deploys of one name run one at a
     * time; different names deploy in parallel. On failure nothing is kept: no directory, no row.
     *
     * @throws InvalidFunctionException for a bad archive, manifest or name ({@code name_mismatch}), or a failed build
     *                                  ({@link BuildFailedException})
     */
    default DeployResult deploy(FunctionName nameFromUrl, InputStream archive) {
        return deploy(nameFromUrl, archive, true);
    }

    /**
     * {@link #deploy(FunctionName, InputStream)}, which with {@code activate} false only stages the new version: it is
     * stored and built, and the active version keeps serving until {@link #activate} (the first version of a name is
     * always active: there is nothing else to serve).
     */
    DeployResult deploy(FunctionName nameFromUrl, InputStream archive, boolean activate);

    /** The active version of {@code name} (the one that serves), if it is deployed. */
    Optional<DeployedFunction> current(FunctionName name);

    /** The active version of every deployed function, sorted by name. */
    List<DeployedFunction> list();

    /**
     * Makes a stored version of {@code name} the active one, without a rebuild: {@code version}, or when empty the
     * version that was active before the current one (a rollback). Returns it; empty if {@code name} is not deployed.
     *
     * @throws InvalidFunctionException {@code version_not_found} when that version is not stored (any more), or
     *                                  there is no previous version
     */
    Optional<DeployedFunction> activate(FunctionName name, OptionalInt version);

    /** The version active before the current one, if it is still stored. */
    OptionalInt previous(FunctionName name);

    /**
     * Splits the calls of {@code name} between stored versions, {@code weights} mapping version to percent (summing
     * to 100; a version at 0 takes none). The version with the largest share becomes the active one; a split to one
     * version is an activation of it. Returns the new routing; empty if {@code name} is not deployed.
     *
     * @throws InvalidFunctionException {@code invalid_parameter} for weights that are not percentages summing to
     *                                  100, {@code version_not_found} for a version that is not stored
     */
    List<TrafficShare> split(FunctionName name, Map<Integer, Integer> weights);

    /** The versions of {@code name} that take calls and their shares: the active one at 100 unless split. */
    List<TrafficShare> routing(FunctionName name);

    /** Every stored version of {@code name}, oldest first. */
    List<FunctionVersion> versions(FunctionName name);

    /**
     * Removes every version of {@code name}, rows and files. The caller stops the function's instances first.
     * Returns whether the function existed.
     */
    boolean delete(FunctionName name);

    /**
     * Restores the deployed functions at start-up: the latest version of each, with manifests reparsed from the
     * stored YAML. Versions whose manifest no longer parses or whose artefact is missing are logged and skipped, and
     * artefact directories that no row refers to (left by a crash) are removed.
     */
    List<DeployedFunction> loadAll();
}
