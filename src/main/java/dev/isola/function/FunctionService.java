package dev.isola.function;

import java.io.InputStream;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;

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
    DeployResult deploy(FunctionName nameFromUrl, InputStream archive);

    /** The latest version of {@code name}, if it is deployed. */
    Optional<DeployedFunction> current(FunctionName name);

    /** The latest version of every deployed function, sorted by name. */
    List<DeployedFunction> list();

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
