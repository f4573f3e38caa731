package dev.isola.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isola.function.FunctionName;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;

/** {@code isola rollback NAME [--to N]}: serve a stored version again, without a rebuild. */
@Command(name = "rollback", description = "Serve a stored version of a function again, at once and without a "
        + "rebuild: the previously active one, or --to N (also activates a version deployed with --no-activate). "
        + "Calls in flight finish on the version serving until now.")
final class RollbackCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", converter = FunctionNameConverter.class,
            description = "Function name.")
    private FunctionName name;

    @Option(names = "--to", paramLabel = "N", description = "The version to serve (see 'isola versions NAME').")
    private Integer version;

    @Override
    int execute() {
        if (version != null && version < 1) {
            throw new ParameterException(spec.commandLine(), "--to must be a version number (1 or more)");
        }
        JsonNode detail = server.adminClient().postJson("/system/functions/" + name + "/rollback",
                version == null ? "" : "{\"version\": " + version + "}");
        out().printf("%s now serves version %s%n", name, detail.path("version").asText("?"));
        return 0;
    }
}
