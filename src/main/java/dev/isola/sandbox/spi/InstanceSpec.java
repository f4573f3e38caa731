package dev.isola.sandbox.spi;

import dev.isola.function.Artifact;
import dev.isola.function.FunctionName;
import dev.isola.function.Limits;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Everything a provider needs to launch one instance.
 *
 * @param id       unique instance id, safe for file names and container ids (never a prefix of another id)
 * @param env      function env plus the {@code ISOLA_*} contract variables; the provider adds {@code PORT}
 * @param readyUrl callback the function calls once it listens
 * @param workDir  private scratch directory of this instance (exists, empty); the provider may use and must not
 *                 outlive it, the dispatcher deletes it after {@link Instance#close()}
 * @param console  where the instance's stdout and stderr go ({@link Console#file()}); the dispatcher closes it
 * @param kernel   guest kernel the function asked for ({@code minimal}, {@code generic}); empty for the backend's
 *                 default. Only virtual-machine backends use it.
 * @param egress   whether the instance may open connections beyond the host; isolating backends enforce it
 * @param clones   whether the instance may be a clone of its version's saved template (backends that make them)
 * @param openFiles the function's open-file limit, soft and hard: room for the connections of its concurrency
 *                 ({@link dev.isola.host.OpenFileLimit#forConcurrency})
 */
public record InstanceSpec(String id, FunctionName function, int version, Artifact artifact, Limits limits,
                           Map<String, String> env, URI readyUrl, Path workDir, Console console,
                           Optional<String> kernel, boolean egress, boolean clones, int openFiles) {
    public InstanceSpec {
        env = Map.copyOf(env);
    }
}
