package dev.isola.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isola.function.FunctionName;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;

/** {@code isola invocations NAME}: the function's newest calls, as the server recorded them. */
@Command(name = "invocations", description = "List a function's newest calls: when, how long, cold or warm, status, "
        + "instance.")
final class InvocationsCommand extends ClientCommand {
    static final int MAX_LIMIT = 10_000;

    @Parameters(index = "0", paramLabel = "NAME", converter = FunctionNameConverter.class,
            description = "Function name.")
    private FunctionName name;

    @Option(names = {"-n", "--limit"}, paramLabel = "N", defaultValue = "20",
            description = "Number of newest calls, 1-" + MAX_LIMIT + " (default: ${DEFAULT-VALUE}).")
    private int limit;

    @Option(names = "--json", description = "Print the server's JSON instead of a table.")
    private boolean json;

    @Override
    int execute() {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new ParameterException(spec.commandLine(), "--limit must be between 1 and " + MAX_LIMIT);
        }
        AdminClient client = server.adminClient();
        String body = client.getText("/system/functions/" + name + "/invocations?limit=" + limit);
        if (json) {
            out().println(body.strip());
            return 0;
        }
        JsonNode calls = client.parseJson(body);
        if (calls.isEmpty()) {
            err().println("No calls of " + name + " recorded.");
            return 0;
        }
        TextTable table = new TextTable("START", "MS", "COLD", "STATUS", "BACKEND", "INSTANCE");
        for (JsonNode c : calls) {
            table.add(c.path("start").asText(), String.format("%.1f", c.path("durationMicros").asLong() / 1000.0),
                    c.path("coldStart").asBoolean() ? "cold" : "warm", c.path("status").asText(),
                    c.path("backend").asText(), c.path("instance").asText());
        }
        table.print(out(), "");
        return 0;
    }
}
