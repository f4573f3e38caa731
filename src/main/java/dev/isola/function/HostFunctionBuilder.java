package dev.isola.function;

import dev.isola.IsolaException;
import dev.isola.host.Command;
import dev.isola.host.CommandResult;
import dev.isola.host.Executables;
import dev.isola.host.FileTrees;
import dev.isola.host.ProcessRunner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Builds with the host's own tools. Go sources become one static binary ({@code CGO_ENABLED=0}) and nothing else;
 * node, python and binary functions are copied as they are. In handler mode Isola adds the server: a generated main
 * package for Go ({@link GoHandlerMain}), a wrapper script for Node.js ({@link NodeHandlerWrapper}) and Python
 * ({@link PythonHandlerWrapper}), which load the handler once at build, jailed, to check it. Go runs in a
 * {@link BuildJail}, offline ({@code GOPROXY=off}, and no network at all when jailed) with a clean environment, so a
 * build cannot depend on the operator's shell, reach the network, or touch the platform.
 */
final class HostFunctionBuilder implements FunctionBuilder {
    static final Duration GO_BUILD_TIMEOUT = Duration.ofMinutes(5);
    private static final String MANIFEST = "function.yaml";
    /** Go 1.19 is what Debian 12 ships; a module without a go directive would be built in pre-modules mode. */
    private static final String DEFAULT_GO_MOD = "module fn\n\ngo 1.19\n";
    private static final List<Path> WELL_KNOWN_GO = List.of(Path.of("/usr/lib/go/bin/go"), Path.of("/usr/local/go/bin/go"));
    /** Bytes of the toolchain's output kept for the error; go stops after ten errors, so the head is what matters. */
    static final int MAX_OUTPUT = 64 * 1024;

    private final ProcessRunner runner;
    private final Path cacheDir;
    private final Optional<Path> go;
    private final Optional<Path> node;
    private final Duration goTimeout;
    private final BuildJail jail;

    /** {@code jail}: whether builds run jailed ({@link BuildJail}); {@code stateDir} is hidden from them. */
    HostFunctionBuilder(ProcessRunner runner, Path cacheDir, Path stateDir, boolean jail, Optional<Path> go,
                        Duration goTimeout) {
        this.runner = runner;
        this.cacheDir = cacheDir.toAbsolutePath().normalize();
        this.go = go;
        this.node = runner.executables().find("node");
        this.goTimeout = goTimeout;
        this.jail = new BuildJail(runner, go, jail, this.cacheDir, stateDir);
    }

    /** The {@code go} executable on {@code PATH}, else in the usual install locations. */
    static Optional<Path> findGo(Executables executables) {
        return executables.find("go").or(() -> WELL_KNOWN_GO.stream()
                .filter(p -> Files.isRegularFile(p) && Files.isExecutable(p)).findFirst());
    }

    @Override
    public Artifact build(Manifest manifest, Path sourceDir, Path outDir) {
        Path out = outDir.toAbsolutePath().normalize();
        try {
            Files.createDirectories(out);
            return switch (manifest.runtime()) {
                case GO -> buildGo(manifest, sourceDir, out);
                case NODE -> manifest.handler().isPresent() ? buildNodeHandler(manifest, sourceDir, out)
                        : new Artifact(Runtime.NODE, out, List.of("node", copyWithEntry(manifest, sourceDir, out)));
                case PYTHON -> buildPythonHandler(manifest, sourceDir, out);
                case BINARY -> {
                    String entry = copyWithEntry(manifest, sourceDir, out);
                    makeExecutable(out.resolve(entry));
                    yield new Artifact(Runtime.BINARY, out, List.of("./" + entry));
                }
            };
        } catch (IOException e) {
            FileTrees.deleteRecursively(out);
            throw new IsolaException("Failed to build function " + manifest.name() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            FileTrees.deleteRecursively(out);
            throw e;
        }
    }

    private Artifact buildGo(Manifest manifest, Path sourceDir, Path out) throws IOException {
        Path goBinary = go.orElseThrow(() -> new BuildFailedException(
                "Go toolchain not found on this host (no 'go' on PATH); install golang-go to deploy runtime: go"));
        Path goMod = sourceDir.resolve("go.mod");
        if (!Files.exists(goMod, LinkOption.NOFOLLOW_LINKS)) {
            Files.writeString(goMod, DEFAULT_GO_MOD);
        }
        Files.createDirectories(cacheDir);
        if (manifest.handler().isEmpty()) {
            // "./" keeps a relative entry a directory; a bare "cmd/server" would be looked up as an import path.
            return goBuild(manifest, goBinary, sourceDir, manifest.entry().equals(".") ? "." : "./" + manifest.entry(),
                    out);
        }
        // Handler mode: the same build of a copy of the module that has the generated main package beside.
        Path copy = Files.createTempDirectory(sourceDir.toAbsolutePath().getParent(), "handler-build-");
        try {
            return goBuild(manifest, goBinary, copy, GoHandlerMain.prepare(manifest, sourceDir, copy), out);
        } finally {
            FileTrees.deleteRecursively(copy);
        }
    }

    private Artifact goBuild(Manifest manifest, Path goBinary, Path sourceDir, String pkg, Path out)
            throws IOException {
        Path binary = out.resolve("fn");
        // No VCS stamping: it would run git on the sources (and the extractor drops VCS directories anyway).
        CommandResult result = jail.run(sourceDir, out, jail.goEnvironment(), List.of(goBinary.toString(), "build",
                "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", jail.outView(out).resolve("fn").toString(),
                pkg), goTimeout, MAX_OUTPUT);
        if (result.timedOut()) {
            throw new BuildFailedException("go build timed out after " + goTimeout.toSeconds() + " s"
                    + outputSuffix(result.output()));
        }
        if (result.exitCode() != 0) {
            if (manifest.handler().isPresent()) {
                GoHandlerMain.explain(manifest, result.output()).ifPresent(message -> {
                    throw new BuildFailedException(message);
                });
            }
            throw new BuildFailedException("go build failed (exit " + result.exitCode() + ")"
                    + outputSuffix(result.output()));
        }
        if (!Files.isRegularFile(binary, LinkOption.NOFOLLOW_LINKS)) {
            throw new BuildFailedException("go build produced no binary for package '" + manifest.entry() + "'"
                    + outputSuffix(result.output()));
        }
        return new Artifact(Runtime.GO, out, List.of("./fn"));
    }

    /** The sources as they are, Isola's wrapper as the entry, and the module checked to load at deploy. */
    private Artifact buildNodeHandler(Manifest manifest, Path sourceDir, Path out) throws IOException {
        Path nodeBinary = node.orElseThrow(() -> new BuildFailedException(
                "Node.js not found on this host (no 'node' on PATH); install nodejs to deploy a node handler"));
        NodeHandlerWrapper.checkSources(manifest, sourceDir);
        copyWithEntry(manifest, sourceDir, out);
        List<String> argv = NodeHandlerWrapper.install(manifest, out);
        NodeHandlerWrapper.check(manifest, jail, nodeBinary, out);
        return new Artifact(Runtime.NODE, out, argv);
    }

    /** The sources as they are, the wrapper beside, and the application checked to import at deploy. */
    private Artifact buildPythonHandler(Manifest manifest, Path sourceDir, Path out) throws IOException {
        HostPython python = HostPython.find(runner).orElseThrow(() -> new BuildFailedException(
                "Python 3 with waitress not found on this host; install python3 and python3-waitress to deploy "
                        + "runtime: python"));
        PythonHandlerWrapper.checkSources(manifest, sourceDir);
        FileTrees.copy(sourceDir, out, relative -> relative.toString().equals(MANIFEST));
        List<String> argv = PythonHandlerWrapper.install(manifest, python, out);
        PythonHandlerWrapper.check(manifest, python, jail, out);
        return new Artifact(Runtime.PYTHON, out, argv);
    }

    /** Copies the sources except the manifest and returns the entry, checked to be a file inside the artefact. */
    private static String copyWithEntry(Manifest manifest, Path sourceDir, Path out) throws IOException {
        FileTrees.copy(sourceDir, out, relative -> relative.toString().equals(MANIFEST));
        String entry = manifest.entry();
        Path file = out.resolve(entry);
        if (!Files.isRegularFile(file) || !file.toRealPath().startsWith(out.toRealPath())) {
            throw new BuildFailedException("entry '" + entry + "' is not a file in the archive (runtime "
                    + manifest.runtime().wireName() + ")");
        }
        return entry;
    }

    private static void makeExecutable(Path file) throws IOException {
        Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
        permissions.addAll(Files.getPosixFilePermissions(file));
        permissions.addAll(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_EXECUTE,
                PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_EXECUTE,
                PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_EXECUTE));
        Files.setPosixFilePermissions(file, permissions);
    }

    private static String outputSuffix(String output) {
        return output.isBlank() ? "" : ":\n" + output.strip();
    }
}
