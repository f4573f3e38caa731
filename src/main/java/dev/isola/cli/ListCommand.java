package dev.isola.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code isola list}: deployed functions as a table, or the server's JSON for scripts. */
@Command(name = "list", aliases = "ls", description = "List deployed functions.")
final class ListCommand extends ClientCommand {
    @Option(names = "--json", description = "Print the server's JSON instead of a table.")
    private boolean json;

    @Override
    int execute() {
        AdminClient client = server.adminClient();
        String body = client.getText("/system/functions");
        if (json) {
            out().println(body.strip());
            return 0;
        }
        JsonNode functions = client.parseJson(body);
        if (functions.isEmpty()) {
            err().println("No functions deployed.");
            return 0;
        }
        TextTable table = new TextTable("NAME", "VERSION", "RUNTIME", "BACKEND", "INSTANCES", "DEPLOYED");
        for (JsonNode f : functions) {
            table.add(f.path("name").asText(), f.path("version").asText(), f.path("runtime").asText(),
                    f.path("backend").asText(), f.path("instances").asText(), f.path("deployedAt").asText());
        }
        table.print(out(), "");
        return 0;
    }
}
