package dev.isola.function;

import java.util.Map;
import java.util.Optional;

/**
 * A validated {@code function.yaml}. The wire form (YAML) is parsed by {@link ManifestParser}; this record only
 * holds values that passed validation.
 *
 * @param backend sandbox type, or empty for the platform's default backend
 * @param kernel  guest kernel for virtual-machine backends ({@code minimal} or {@code generic}); empty for the
 *                backend's default; other backends ignore it
 * @param egress  whether instances may open connections beyond the host (NAT through the host); off by default
 * @param async   how its asynchronous calls run
 */
public record Manifest(FunctionName name, Runtime runtime, String entry, Map<String, String> env,
                       Optional<String> backend, Optional<String> kernel, boolean egress, Limits limits,
                       Scaling scaling, AsyncPolicy async) {
    public Manifest {
        env = Map.copyOf(env);
    }

    /** A manifest whose asynchronous calls run as by default. */
    public Manifest(FunctionName name, Runtime runtime, String entry, Map<String, String> env, Optional<String> backend,
                    Optional<String> kernel, boolean egress, Limits limits, Scaling scaling) {
        this(name, runtime, entry, env, backend, kernel, egress, limits, scaling, AsyncPolicy.defaults(limits, scaling));
    }
}
