package dev.isola.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isola.function.FunctionName;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code isola versions NAME}: the stored versions, which one serves and which served before it. */
@Command(name = "versions", description = "List a function's stored versions: which one serves (active) and which "
        + "served before it (previous, where 'isola rollback' goes).")
final class VersionsCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", converter = FunctionNameConverter.class,
            description = "Function name.")
    private FunctionName name;

    @Option(names = "--json", description = "Print the server's JSON instead of a table.")
    private boolean json;

    @Override
    int execute() {
        AdminClient client = server.adminClient();
        String body = client.getText("/system/functions/" + name + "/versions");
        if (json) {
            out().println(body.strip());
            return 0;
        }
        TextTable table = new TextTable("VERSION", "DEPLOYED", "SOURCE SHA-256", "STATE");
        for (JsonNode v : client.parseJson(body)) {
            String state = v.path("active").asBoolean() ? "active" : v.path("previous").asBoolean() ? "previous" : "";
            table.add(v.path("version").asText(), v.path("deployedAt").asText(),
                    v.path("sourceSha256").asText().substring(0, 12), state);
        }
        table.print(out(), "");
        return 0;
    }
}
