package dev.isola.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isola.function.FunctionName;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code isola calls NAME}: a function's asynchronous calls, newest first; {@code --state failed}: its dead letters. */
@Command(name = "calls", description = "List a function's asynchronous calls, newest first (--state failed lists the "
        + "dead letters).")
final class CallsCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", converter = FunctionNameConverter.class,
            description = "Function name.")
    private FunctionName name;

    @Option(names = "--state", paramLabel = "STATE", description = "Only calls in this state: queued, running, "
            + "succeeded or failed.")
    private String state;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "100", description = "At most this many (default: "
            + "${DEFAULT-VALUE}).")
    private int limit;

    @Option(names = "--json", description = "Print the server's JSON instead of a table.")
    private boolean json;

    @Override
    int execute() {
        AdminClient client = server.adminClient();
        String query = "?limit=" + limit + (state == null ? "" : "&state=" + state.strip());
        if (state != null && !state.strip().matches("[a-z]{1,16}")) {
            throw new CliException("--state must be queued, running, succeeded or failed");
        }
        String body = client.getText("/system/functions/" + name + "/calls" + query);
        if (json) {
            out().println(body.strip());
            return 0;
        }
        JsonNode calls = client.parseJson(body);
        if (calls.isEmpty()) {
            err().println("No asynchronous calls of " + name + (state == null ? "" : " in state " + state));
            return 0;
        }
        TextTable table = new TextTable("ID", "SUBMITTED", "STATE", "ATTEMPTS", "STATUS", "REQUEST");
        for (JsonNode c : calls) {
            table.add(c.path("id").asText(), c.path("submittedAt").asText(), c.path("state").asText(),
                    c.path("attempts").asText(), c.path("result").path("status").asText("-"),
                    c.path("method").asText() + " " + c.path("path").asText());
        }
        table.print(out(), "");
        return 0;
    }
}
