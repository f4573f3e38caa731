package dev.isola.function;

import dev.isola.IsolaException;
import dev.isola.host.CommandResult;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What the handler-mode wrappers of the interpreted runtimes ({@link NodeHandlerWrapper},
 * {@link PythonHandlerWrapper}) share: their place in the artefact, and the check at deploy that the handler loads,
 * run in the build jail so that no mistake waits for the first call. Loading runs the handler's top level; it does
 * so jailed, offline and bounded in time, as builds are.
 */
final class HandlerWrappers {
    /** Where wrappers sit in an artefact; a deployer's {@code .isola} directory is refused, not overwritten. */
    static final String DIRECTORY = ".isola";
    /** Loading a module takes well under a second; the bound is for a top level that blocks. */
    static final Duration CHECK_TIMEOUT = Duration.ofSeconds(30);

    private HandlerWrappers() {
    }

    static void requireFreeWrapperDirectory(Path sources) {
        if (Files.exists(sources.resolve(DIRECTORY), LinkOption.NOFOLLOW_LINKS)) {
            throw new BuildFailedException("'" + DIRECTORY + "' is reserved in handler mode for Isola's wrapper; "
                    + "rename it");
        }
    }

    /** Copies the wrapper {@code resource} (beside this class) to {@code target}. */
    static void copyResource(String resource, Path target) throws IOException {
        Files.createDirectories(target.getParent());
        try (InputStream in = HandlerWrappers.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IsolaException("Failed to read resource " + resource + ": missing from the jar");
            }
            Files.copy(in, target);
        }
    }

    /** Runs {@code argv} (the wrapper's check of {@code handler}) in {@code jail}, in the artefact {@code out}. */
    static void checkLoads(String handler, BuildJail jail, Path out, List<String> argv) throws IOException {
        CommandResult result = jail.check(out, jail.checkEnvironment(), argv, CHECK_TIMEOUT,
                HostFunctionBuilder.MAX_OUTPUT);
        if (result.timedOut()) {
            throw new BuildFailedException("handler '" + handler + "' did not load within "
                    + CHECK_TIMEOUT.toSeconds() + " s at deploy (its top level must not block)");
        }
        if (result.exitCode() != 0) {
            String output = result.output().strip();
            throw new BuildFailedException("handler '" + handler + "' did not load at deploy (exit "
                    + result.exitCode() + ")" + (output.isEmpty() ? "" : ":\n" + output));
        }
    }
}
