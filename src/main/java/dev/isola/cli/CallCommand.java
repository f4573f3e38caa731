package dev.isola.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.Base64;

/** {@code isola call ID}: one asynchronous call, where it stands and what the function answered. */
@Command(name = "call", description = "Show an asynchronous call (from 'isola invoke --async'): its state, attempts "
        + "and the function's answer.")
final class CallCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "The call's id (X-Call-Id).")
    private String id;

    @Option(names = "--json", description = "Print the server's JSON instead.")
    private boolean json;

    @Override
    int execute() {
        AdminClient client = server.adminClient();
        if (!id.matches("[0-9a-fA-F-]{1,64}")) {
            throw new CliException("'" + id + "' is not a call id; 'isola invoke --async' prints one");
        }
        String body = client.getText("/system/calls/" + id);
        if (json) {
            out().println(body.strip());
            return 0;
        }
        JsonNode call = client.parseJson(body);
        out().println("call      " + call.path("id").asText());
        out().println("function  " + call.path("function").asText() + " " + call.path("method").asText() + " "
                + call.path("path").asText());
        out().println("state     " + call.path("state").asText() + " after " + call.path("attempts").asInt()
                + " attempt(s)" + (call.has("nextAttemptAt") ? ", next at " + call.path("nextAttemptAt").asText() : ""));
        out().println("submitted " + call.path("submittedAt").asText()
                + (call.has("finishedAt") ? ", finished " + call.path("finishedAt").asText() : ""));
        if (call.has("error")) {
            out().println("error     " + call.path("error").asText());
        }
        if (call.has("callbackUrl")) {
            out().println("callback  " + call.path("callbackUrl").asText() + " "
                    + call.path("callbackOutcome").asText("(not delivered yet)"));
        }
        JsonNode result = call.path("result");
        if (!result.isMissingNode()) {
            out().println("status    " + result.path("status").asInt()
                    + (result.path("bodyTruncated").asBoolean() ? " (body cut at asyncResultMaxBytes)" : ""));
            out().println();
            if (result.has("body")) {
                out().print(result.path("body").asText());
            } else {
                out().println("(" + Base64.getDecoder().decode(result.path("bodyBase64").asText()).length
                        + " bytes of binary body; --json has it in base64)");
            }
        }
        return 0;
    }
}
