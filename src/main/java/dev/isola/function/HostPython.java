package dev.isola.function;

import dev.isola.host.Command;
import dev.isola.host.CommandResult;
import dev.isola.host.ProcessRunner;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The host's Python 3 that serves Python functions, and the two directories of it a sandbox needs: the standard
 * library (with its compiled extension modules, {@code lib-dynload}) and the WSGI server's package, waitress.
 *
 * <p>Debian's interpreter ({@value #DEBIAN_PYTHON}) is preferred over whatever {@code python3} comes first on the
 * {@code PATH} (a pyenv or a virtualenv would shadow it): waitress comes from Debian's {@code python3-waitress},
 * which installs for that interpreter only. An interpreter counts only when it imports waitress in isolated mode.
 *
 * @param interpreter the interpreter's real path (what the artefact's command names)
 * @param stdlib      its standard library directory
 * @param packages    the directory that holds the {@code waitress} package (put on {@code sys.path} by the wrapper)
 */
public record HostPython(Path interpreter, Path stdlib, Path packages) {
    static final Path DEBIAN_PYTHON = Path.of("/usr/bin/python3");
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(30);
    private static final String PROBE = "import os, sys, sysconfig, waitress\n"
            + "print(os.path.realpath(sys.executable))\n"
            + "print(sysconfig.get_path('stdlib'))\n"
            + "print(os.path.dirname(os.path.dirname(os.path.realpath(waitress.__file__))))\n";
    /** Probes by interpreter path: each runs Python once, so a start or a deploy never waits for one again. */
    private static final Map<Path, Optional<HostPython>> PROBED = new ConcurrentHashMap<>();

    /** The waitress package directory, the only part of {@link #packages} a sandbox sees. */
    public Path waitress() {
        return packages.resolve("waitress");
    }

    /** Debian's interpreter when it has waitress, else the {@code PATH}'s {@code python3} when that has it. */
    public static Optional<HostPython> find(ProcessRunner runner) {
        return at(runner, DEBIAN_PYTHON).or(() -> runner.executables().find("python3")
                .flatMap(python -> at(runner, python)));
    }

    /** The interpreter at {@code interpreter} with its directories, if it runs and imports waitress. */
    public static Optional<HostPython> at(ProcessRunner runner, Path interpreter) {
        if (!Files.isExecutable(interpreter)) {
            return Optional.empty();
        }
        return PROBED.computeIfAbsent(interpreter, python -> probe(runner, python));
    }

    private static Optional<HostPython> probe(ProcessRunner runner, Path python) {
        CommandResult result = runner.result(Command.of(python.toString(), "-I", "-c", PROBE)
                .withTimeout(PROBE_TIMEOUT));
        List<String> lines = result.output().lines().map(String::strip).filter(l -> l.startsWith("/")).toList();
        if (!result.succeeded() || lines.size() != 3) {
            return Optional.empty();
        }
        return Optional.of(new HostPython(Path.of(lines.get(0)), Path.of(lines.get(1)), Path.of(lines.get(2))));
    }
}
