package dev.isola.cli;

import dev.isola.function.FunctionName;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code isola rm NAME}: remove a function once its in-flight requests have finished. */
@Command(name = "rm",
        description = "Remove a function. Waits for its in-flight requests, then stops its instances.")
final class RmCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", converter = FunctionNameConverter.class, description = "Function name.")
    private FunctionName name;

    @Override
    int execute() {
        server.adminClient().delete("/system/functions/" + name);
        out().println("Removed " + name);
        return 0;
    }
}
