package dev.isola.function;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Node.js handler mode: the function's module default-exports {@code async (request) => Response} and Isola's
 * wrapper (the resource {@value #RESOURCE}) is the process entry: the HTTP server, the conversions between
 * {@code node:http} and the fetch API (with {@value #LAZY_FETCH}), and the whole function contract. The wrapper
 * is copied into the artefact at {@value #PATH}, never into the deployer's sources.
 *
 * <p>At deploy, node loads the module in the build jail ({@code --check}) and the deploy fails with
 * {@code build_failed} when it does not load or its export is not a function, so that no mistake waits for the
 * first call. Loading runs the module's top level; it does so jailed, offline, bounded in time, as builds are.
 */
final class NodeHandlerWrapper {
    /** Where the wrapper sits in the artefact. */
    static final String PATH = ".isola/handler-wrapper.cjs";
    private static final String RESOURCE = "handler-wrapper.cjs";
    /** The lazy fetch-API objects the wrapper imports (a Request and Response made only when read). */
    private static final String LAZY_FETCH = "lazy-fetch.cjs";

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
        HandlerWrappers.requireFreeWrapperDirectory(sources);
    }

    /** Writes the wrapper into the artefact {@code out} and returns the artefact's command. */
    static List<String> install(Manifest manifest, Path out) throws IOException {
        HandlerWrappers.copyResource(RESOURCE, out.resolve(PATH));
        HandlerWrappers.copyResource(LAZY_FETCH, out.resolve(PATH).resolveSibling(LAZY_FETCH));
        return List.of("node", PATH, manifest.handler().orElseThrow());
    }

    /** Loads the handler module with {@code node} in {@code jail}, in the artefact {@code out}. */
    static void check(Manifest manifest, BuildJail jail, Path node, Path out) throws IOException {
        String handler = manifest.handler().orElseThrow();
        HandlerWrappers.checkLoads(handler, jail, out, List.of(node.toString(), PATH, "--check", handler));
    }
}
