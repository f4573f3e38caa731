package dev.isola.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.isola.function.FunctionName;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code isola traffic NAME 4=90 5=10}: split new calls between stored versions by weight. */
@Command(name = "traffic", description = "Split a function's new calls between stored versions: VERSION=PERCENT "
        + "pairs adding up to 100 (e.g. 4=90 5=10 for a canary). Versions left out drain; a deploy or rollback ends "
        + "the split.")
final class TrafficCommand extends ClientCommand {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Parameters(index = "0", paramLabel = "NAME", converter = FunctionNameConverter.class,
            description = "Function name.")
    private FunctionName name;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "VERSION=PERCENT",
            description = "Each version's share of new calls.")
    private List<String> weights;

    @Override
    int execute() {
        Map<String, Integer> parsed = new LinkedHashMap<>();
        for (String pair : weights) {
            String[] parts = pair.split("=", 2);
            if (parts.length != 2 || !parts[0].matches("[1-9][0-9]*") || !parts[1].matches("[0-9]{1,3}")) {
                throw new ParameterException(spec.commandLine(), "'" + pair + "' is not VERSION=PERCENT (e.g. 5=10)");
            }
            parsed.put(parts[0], Integer.parseInt(parts[1]));
        }
        byte[] body = JSON.createObjectNode().set("weights", JSON.valueToTree(parsed)).toString()
                .getBytes(StandardCharsets.UTF_8);
        server.adminClient().putJson("/system/functions/" + name + "/traffic", body, "application/json",
                AdminClient.SLOW_TIMEOUT);
        out().printf("%s: %s%n", name, String.join(" ", weights));
        return 0;
    }
}
