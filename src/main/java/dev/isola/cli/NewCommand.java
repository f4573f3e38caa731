package dev.isola.cli;

import dev.isola.function.FunctionName;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code isola new NAME}: a minimal function in handler mode (manifest, handler, a test in the language's own test
 * tool) that deploys as it is. The files are resources under {@code dev/isola/cli/new/<runtime>/}, with the name put
 * in for {@value #NAME}.
 */
@Command(name = "new", mixinStandardHelpOptions = true,
        description = "Write a new function in handler mode (function.yaml, the handler, a test) into a directory of "
                + "its name, ready for 'isola deploy'.")
final class NewCommand implements Callable<Integer> {
    private static final String NAME = "__NAME__";
    /** The files of each runtime's template; resources in a jar cannot be listed. */
    private static final Map<String, List<String>> FILES = Map.of(
            "go", List.of("function.yaml", "go.mod", "handler.go", "handler_test.go"),
            "node", List.of("function.yaml", "handler.mjs", "handler.test.mjs"),
            "python", List.of("function.yaml", "main.py", "test_main.py"));
    private static final Map<String, String> NEXT = Map.of(
            "go", "go test ./...",
            "node", "node --test",
            "python", "python3 -m unittest");

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", converter = FunctionNameConverter.class,
            description = "Function name: the directory's name too.")
    private FunctionName name;

    @Option(names = "--runtime", paramLabel = "RUNTIME", defaultValue = "go",
            description = "go, node or python (default: ${DEFAULT-VALUE}).")
    private String runtime;

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = ".",
            description = "Where the function's directory is made (default: the current directory).")
    private Path parent;

    @Override
    public Integer call() {
        List<String> files = FILES.get(runtime);
        if (files == null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--runtime must be go, node or python, not '"
                    + runtime + "'");
        }
        Path dir = parent.resolve(name.value());
        try {
            Files.createDirectories(parent);
            Files.createDirectory(dir);
            for (String file : files) {
                Files.writeString(dir.resolve(file), template(runtime + "/" + file).replace(NAME, name.value()));
            }
        } catch (FileAlreadyExistsException e) {
            return failed(dir + " exists already; pick another name or --dir");
        } catch (IOException e) {
            return failed("Failed to write the function into " + dir + ": " + e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("Wrote " + dir + " (" + String.join(", ", files) + ").");
        out.println("Test it:   (cd " + dir + " && " + NEXT.get(runtime) + ")");
        out.println("Deploy it: isola deploy " + dir + "   then   curl localhost:8080/function/" + name + "?name=you");
        out.flush();
        return 0;
    }

    private int failed(String message) {
        spec.commandLine().getErr().println("Error: " + message);
        spec.commandLine().getErr().flush();
        return 1;
    }

    private static String template(String path) throws IOException {
        try (InputStream in = NewCommand.class.getResourceAsStream("new/" + path)) {
            if (in == null) {
                throw new IOException("template " + path + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
