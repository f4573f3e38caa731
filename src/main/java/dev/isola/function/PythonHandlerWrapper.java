package dev.isola.function;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Python handler mode: the function names a WSGI application as {@code module:attribute}, and Isola's wrapper (the
 * resource {@value #RESOURCE}, copied into the artefact at {@value #PATH}) serves it with waitress and carries the
 * whole function contract. The interpreter runs isolated ({@code -I -S}: no environment variable, user or site
 * directory changes what it imports), without writing bytecode into the read-only artefact ({@code -B}) and with
 * unbuffered output so that the function's prints reach its log as they happen ({@code -u}).
 *
 * <p>At deploy the wrapper imports the module and resolves the attribute in the build jail ({@code --check}); a
 * module that is missing or fails to import, or an attribute that is missing or not callable, fails the deploy with
 * {@code build_failed}.
 */
final class PythonHandlerWrapper {
    static final String PATH = HandlerWrappers.DIRECTORY + "/handler_wrapper.py";
    private static final String RESOURCE = "handler-wrapper.py";
    /**
     * waitress's worker threads: one per request an instance serves at once, up to 16 (the GIL runs one at a time,
     * so more would only wait on I/O in parallel; further requests queue inside waitress).
     */
    static final int MAX_THREADS = 16;

    private PythonHandlerWrapper() {
    }

    /** Before the sources are copied: the handler's module must be there and the wrapper's directory free. */
    static void checkSources(Manifest manifest, Path sources) {
        String handler = manifest.handler().orElseThrow();
        String module = handler.substring(0, handler.indexOf(':')).replace('.', '/');
        if (!Files.isRegularFile(sources.resolve(module + ".py"))
                && !Files.isRegularFile(sources.resolve(module).resolve("__init__.py"))) {
            throw new BuildFailedException("handler '" + handler + "': neither " + module + ".py nor " + module
                    + "/__init__.py is in the archive (runtime python: the module that holds the WSGI application)");
        }
        HandlerWrappers.requireFreeWrapperDirectory(sources);
    }

    /** Writes the wrapper into the artefact {@code out} and returns the artefact's command. */
    static List<String> install(Manifest manifest, HostPython python, Path out) throws IOException {
        HandlerWrappers.copyResource(RESOURCE, out.resolve(PATH));
        return command(manifest, python, false);
    }

    /** Imports the handler in {@code jail}, in the artefact {@code out}, with the interpreter that will serve it. */
    static void check(Manifest manifest, HostPython python, BuildJail jail, Path out) throws IOException {
        HandlerWrappers.checkLoads(manifest.handler().orElseThrow(), jail, out, command(manifest, python, true));
    }

    private static List<String> command(Manifest manifest, HostPython python, boolean check) {
        List<String> argv = new ArrayList<>(List.of(python.interpreter().toString(), "-I", "-B", "-S", "-u", PATH));
        if (check) {
            argv.add("--check");
        }
        argv.addAll(List.of(python.packages().toString(),
                Integer.toString(Math.min(manifest.scaling().concurrency(), MAX_THREADS)),
                manifest.handler().orElseThrow()));
        return argv;
    }
}
