package dev.isola.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;

/** {@code isola deploy DIR}: zip a function directory, upload it, let the server build and activate it. */
@Command(name = "deploy",
        description = "Deploy a function directory (or a new version of it). The server builds Go and Node.js "
                + "functions; build errors are printed in full.",
        footer = {"%nThe name comes from DIR/function.yaml. .git is not uploaded. Zip archives do not carry the "
                + "executable bit; for runtime: binary the server marks the entry executable."})
final class DeployCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "DIR", description = "Function directory holding function.yaml.")
    private Path dir;

    @Option(names = "--no-activate", description = "Only stage the new version: the active one keeps serving until "
            + "'isola rollback NAME --to N' activates it.")
    private boolean noActivate;

    @Override
    int execute() {
        FunctionDirectory function = FunctionDirectory.open(dir);
        AdminClient client = server.adminClient();
        byte[] archive = function.zip();
        JsonNode detail = client.putJson("/system/functions/" + function.name() + (noActivate ? "?activate=false" : ""),
                archive, "application/zip", AdminClient.SLOW_TIMEOUT);
        out().printf("%s %s version %s (%s, backend %s)%n", noActivate ? "Staged" : "Deployed",
                detail.path("name").asText(function.name().value()), detail.path("version").asText("?"),
                detail.path("runtime").asText("?"), detail.path("backend").asText("?"));
        return 0;
    }
}
