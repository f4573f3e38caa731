package dev.isola.function;

import java.nio.file.Path;
import java.util.List;

/**
 * The backend-neutral build output of one function version: a directory that is the function's whole root
 * filesystem, and the command that starts it.
 *
 * <p>{@code argv[0]} is either a path relative to {@code root} beginning with {@code ./} (a binary built or shipped
 * in the artefact) or a bare program name that the sandbox resolves on the host ({@code node}). Each sandbox
 * provider turns this into its own format (process: exec in place; OCI: a bundle; microVM: an initramfs).
 */
public record Artifact(Runtime runtime, Path root, List<String> argv) {
    public Artifact {
        argv = List.copyOf(argv);
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("argv must not be empty");
        }
    }
}
