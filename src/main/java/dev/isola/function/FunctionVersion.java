package dev.isola.function;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One deployed version of a function as recorded in the {@link FunctionStore}: enough to restore it after a restart
 * without rebuilding, and what the API lists of each version.
 *
 * @param runtime       the manifest's runtime wire name ({@code go}, {@code node}, {@code binary})
 * @param manifestYaml  the {@code function.yaml} text as deployed; reparsed on load
 * @param sourceSha256  hex SHA-256 of the uploaded archive
 * @param artifactRoot  the built root filesystem of this version
 */
public record FunctionVersion(FunctionName name, int version, String runtime, String manifestYaml, String sourceSha256,
                         Path artifactRoot, List<String> argv, Instant deployedAt) {
    public FunctionVersion {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(runtime, "runtime");
        Objects.requireNonNull(manifestYaml, "manifestYaml");
        Objects.requireNonNull(sourceSha256, "sourceSha256");
        Objects.requireNonNull(artifactRoot, "artifactRoot");
        Objects.requireNonNull(deployedAt, "deployedAt");
        argv = List.copyOf(argv);
        if (version < 1) {
            throw new IllegalArgumentException("version must be at least 1, got " + version);
        }
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("argv must not be empty");
        }
    }
}
