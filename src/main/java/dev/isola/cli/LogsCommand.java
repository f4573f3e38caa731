package dev.isola.cli;

import dev.isola.function.FunctionName;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** {@code isola logs NAME}: the captured console output of a function's instances. */
@Command(name = "logs",
        description = "Print the stdout/stderr of a function's instances, oldest line first, each line prefixed "
                + "with its instance id.")
final class LogsCommand extends ClientCommand {
    /** The server keeps and returns at most this many lines per request. */
    static final int MAX_TAIL = 10_000;

    @Parameters(index = "0", paramLabel = "NAME", converter = FunctionNameConverter.class, description = "Function name.")
    private FunctionName name;

    @Option(names = {"-n", "--tail"}, paramLabel = "N", defaultValue = "200",
            description = "Number of newest lines, 1-" + MAX_TAIL + " (default: ${DEFAULT-VALUE}).")
    private int tail;

    @Override
    int execute() {
        if (tail < 1 || tail > MAX_TAIL) {
            throw new ParameterException(spec.commandLine(), "--tail must be between 1 and " + MAX_TAIL);
        }
        String text = server.adminClient().getText("/system/functions/" + name + "/logs?tail=" + tail);
        out().print(text);
        if (!text.isEmpty() && !text.endsWith("\n")) {
            out().println();
        }
        return 0;
    }
}
