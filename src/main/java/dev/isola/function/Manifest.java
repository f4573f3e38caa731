package dev.isola.function;

import java.util.Map;
import java.util.Optional;

/**
 * A validated {@code function.yaml}. The wire form (YAML) is parsed by {@link ManifestParser}; this record only
 * holds values that passed validation.
 *
 * @param handler handler mode: Isola supplies the HTTP server and calls this (Go: an exported func of the package at
 *                {@code entry}; Node.js: the module whose default export is {@code async (request) => Response}, then
 *                also the entry; Python: the WSGI application as {@code module:attribute}, always present); empty
 *                for server mode, where the function is a whole HTTP server
 * @param backend sandbox type, or empty for the platform's default backend
 * @param kernel  guest kernel for virtual-machine backends ({@code minimal} or {@code generic}); empty for the
 *                backend's default; other backends ignore it
 * @param egress  whether instances may open connections beyond the host (NAT through the host); off by default
 * @param async   how its asynchronous calls run
 */
public record Manifest(FunctionName name, Runtime runtime, String entry, Optional<String> handler,
                       Map<String, String> env, Optional<String> backend, Optional<String> kernel, boolean egress,
                       Limits limits, Scaling scaling, AsyncPolicy async) {
    public Manifest {
        env = Map.copyOf(env);
        if (handler.isPresent() && runtime == Runtime.BINARY) {
            throw new IllegalArgumentException("handler is for runtime go, node or python, not " + runtime.wireName());
        }
        if (handler.isEmpty() && runtime == Runtime.PYTHON) {
            throw new IllegalArgumentException("runtime python needs a handler (module:attribute)");
        }
    }

    /** A server-mode manifest (the function is a whole HTTP server) whose asynchronous calls run as by default. */
    public Manifest(FunctionName name, Runtime runtime, String entry, Map<String, String> env,
                    Optional<String> backend, Optional<String> kernel, boolean egress, Limits limits,
                    Scaling scaling) {
        this(name, runtime, entry, Optional.empty(), env, backend, kernel, egress, limits, scaling,
                AsyncPolicy.defaults(limits, scaling));
    }
}
