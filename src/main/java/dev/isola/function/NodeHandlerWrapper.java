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
 * Node.js handler mode: the function's module default-exports {@code async (request) => Response} and Isola's
 * wrapper (the resource {@value #RESOURCE}) is the process entry: the HTTP server, the conversions between
 * {@code node:http} and the fetch API, and the whole function contract. The wrapper is copied into the artefact
 * at {@value #PATH}, never into the deployer's sources.
 *
 * <p>At deploy, node loads the module in the build jail ({@code --check}) and the deploy fails with
 * {@code build_failed} when it does not load or its export is not a function, so that no mistake waits for the
 * first call. Loading runs the module's top level; it does so jailed, offline, bounded in time, as builds are.
 */
final class NodeHandlerWrapper {
    /** Where the wrapper sits in the artefact; a deployer's {@code .isola} directory is refused, not overwritten. */
    static final String PATH = ".isola/handler-wrapper.mjs";
    private static final String RESOURCE = "handler-wrapper.mjs";
    /** Loading a module takes well under a second; the bound is for a top level that blocks. */
    static final Duration CHECK_TIMEOUT = Duration.ofSeconds(30);

    private NodeHandlerWrapper() {
    }

    /** Before the sources are copied: the handler module must be there and the wrapper's directory free. */
    static void checkSources(Manifest manifest, Path sources) {
        String handler = manifest.handler().orElseThrow();
        Path module = sources.resolve(handler);
        if (!Files.isRegularFile(module)) {
            throw new BuildFailedException("handler '" + handler + "' is not a file in the archive (runtime node: the "
                    + "module that default-exports async (request) => Response)");
        }
        if (Files.exists(sources.resolve(".isola"), LinkOption.NOFOLLOW_LINKS)) {
            throw new BuildFailedException("'.isola' is reserved in handler mode for Isola's wrapper; rename it");
        }
    }

    /** Writes the wrapper into the artefact {@code out} and returns the artefact's command. */
    static List<String> install(Manifest manifest, Path out) throws IOException {
        Path wrapper = out.resolve(PATH);
        Files.createDirectories(wrapper.getParent());
        try (InputStream in = NodeHandlerWrapper.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IsolaException("Failed to read resource " + RESOURCE + ": missing from the jar");
            }
            Files.copy(in, wrapper);
        }
        return List.of("node", PATH, manifest.handler().orElseThrow());
    }

    /** Loads the handler module with {@code node} in {@code jail}, in the artefact {@code out}. */
    static void check(Manifest manifest, BuildJail jail, Path node, Path out) throws IOException {
        CommandResult result = jail.check(out, jail.checkEnvironment(), List.of(node.toString(), PATH, "--check",
                manifest.handler().orElseThrow()), CHECK_TIMEOUT, HostFunctionBuilder.MAX_OUTPUT);
        String handler = manifest.handler().orElseThrow();
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
