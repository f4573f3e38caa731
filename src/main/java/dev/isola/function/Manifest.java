package dev.isola.function;

import java.util.Map;
import java.util.Optional;

/**
 * A validated {@code function.yaml}. The wire form (YAML) is parsed by {@link ManifestParser}; this record only
 * holds values that passed validation.
 *
 * @param backend sandbox type, or empty for the platform's default backend
 */
public record Manifest(FunctionName name, Runtime runtime, String entry, Map<String, String> env,
                       Optional<String> backend, Limits limits, Scaling scaling) {
    public Manifest {
        env = Map.copyOf(env);
    }
}
