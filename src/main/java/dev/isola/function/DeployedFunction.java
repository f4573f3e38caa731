package dev.isola.function;

import java.time.Instant;

/**
 * One built and recorded version of a function: what the dispatcher needs to start instances of it.
 *
 * @param sourceSha256 hex SHA-256 of the uploaded archive
 */
public record DeployedFunction(Manifest manifest, int version, Artifact artifact, String sourceSha256,
                               Instant deployedAt) {
    public FunctionName name() {
        return manifest.name();
    }
}
