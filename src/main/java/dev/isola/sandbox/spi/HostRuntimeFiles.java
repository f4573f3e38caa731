package dev.isola.sandbox.spi;

import dev.isola.function.Artifact;
import dev.isola.function.HostPython;
import dev.isola.function.Runtime;
import dev.isola.host.HostLibraries;
import dev.isola.host.ProcessRunner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * What of the host a function's command needs in a sandbox whose root is not the host's, for sandboxes that share
 * it read-only (containers bind-mount it at the same paths, microVM images copy it): the program that is not in the
 * artefact (Node.js, Python) and the shared libraries it loads, and for Python the standard library, whose
 * extension modules' libraries too, and the waitress package alone (not the rest of the host's packages).
 */
public final class HostRuntimeFiles {
    private static final String SHARED_OBJECT = ".so";

    private final ProcessRunner runner;
    private final HostLibraries libraries;
    private final Map<Path, HostProgram> pythons = new ConcurrentHashMap<>();

    /**
     * @param program the program on the host, which the command names instead of the artefact's {@code argv[0]}
     * @param paths   files and directories to share, at their host paths; directories hold all their files
     */
    public record HostProgram(Path program, List<Path> paths) {
        public HostProgram {
            paths = List.copyOf(paths);
        }
    }

    public HostRuntimeFiles(ProcessRunner runner) {
        this.runner = runner;
        this.libraries = new HostLibraries(runner);
    }

    /** The host program {@code artifact} runs; empty when its program is its own ({@code ./...}) or a host path. */
    public Optional<HostProgram> of(Artifact artifact) {
        String program = artifact.argv().getFirst();
        if (program.startsWith("./")) {
            return Optional.empty();
        }
        if (artifact.runtime() == Runtime.PYTHON) {
            return Optional.of(pythons.computeIfAbsent(Path.of(program), this::python));
        }
        if (artifact.runtime() == Runtime.NODE || !program.contains("/")) {
            Path onHost = runner.executables().require(program);
            return Optional.of(new HostProgram(onHost, libraries.closure(onHost)));
        }
        return Optional.empty();
    }

    /** The host's {@code sh} (its real file, found on the server's {@code PATH}) and the libraries it loads. */
    public HostProgram shell() {
        try {
            Path sh = runner.executables().require("sh").toRealPath();
            return new HostProgram(sh, libraries.closure(sh));
        } catch (IOException e) {
            throw new SandboxException("Failed to find the host's sh: " + e.getMessage(), e);
        }
    }

    private HostProgram python(Path interpreter) {
        HostPython python = HostPython.at(runner, interpreter).orElseThrow(() -> new SandboxException("the Python "
                + "this function was built with (" + interpreter + ") does not run with waitress on this host any "
                + "more; install python3-waitress, or deploy the function again"));
        List<Path> directories = List.of(python.stdlib(), python.waitress());
        Set<Path> files = new LinkedHashSet<>(libraries.closure(interpreter));
        try (Stream<Path> modules = Files.list(python.stdlib().resolve("lib-dynload"))) {
            for (Path module : modules.filter(m -> m.getFileName().toString().endsWith(SHARED_OBJECT)).toList()) {
                files.addAll(libraries.closure(module));
            }
        } catch (IOException e) {
            throw new SandboxException("Failed to list Python's extension modules in " + python.stdlib() + ": "
                    + e.getMessage(), e);
        }
        // A file inside a shared directory comes with it; mounted again on top it would need a mount point there.
        List<Path> paths = new ArrayList<>(files.stream().filter(f -> directories.stream().noneMatch(f::startsWith))
                .toList());
        paths.addAll(directories);
        return new HostProgram(interpreter, paths);
    }
}
