package dev.isola.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isola.function.FunctionName;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code isola describe NAME}: manifest summary, versions and instances of one function. */
@Command(name = "describe",
        description = "Show a function's settings, versions and instances.")
final class DescribeCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", converter = FunctionNameConverter.class, description = "Function name.")
    private FunctionName name;

    @Option(names = "--json", description = "Print the server's JSON instead.")
    private boolean json;

    @Override
    int execute() {
        AdminClient client = server.adminClient();
        String body = client.getText("/system/functions/" + name);
        if (json) {
            out().println(body.strip());
        } else {
            print(client.parseJson(body), out());
        }
        return 0;
    }

    private static void print(JsonNode f, PrintWriter out) {
        JsonNode manifest = f.path("manifest");
        JsonNode limits = manifest.path("limits");
        JsonNode scaling = manifest.path("scaling");
        field(out, "Name", f.path("name").asText());
        field(out, "Version", f.path("version").asText() + ", deployed " + f.path("deployedAt").asText());
        field(out, "Runtime", f.path("runtime").asText() + " (entry " + manifest.path("entry").asText("?") + ")");
        field(out, "Backend", f.path("backend").asText());
        field(out, "Limits", "memory " + limits.path("memory").asText("?") + ", cpus " + limits.path("cpus").asText("?")
                + ", timeout " + limits.path("timeout").asText("?"));
        field(out, "Scaling", "concurrency " + scaling.path("concurrency").asText("?") + ", instances "
                + scaling.path("minInstances").asText("?") + "-" + scaling.path("maxInstances").asText("?")
                + ", idle timeout " + scaling.path("idleTimeout").asText("?")
                + (scaling.path("singleUse").asBoolean() ? ", single-use (a fresh instance per call)" : ""));
        field(out, "Env", env(manifest.path("env")));
        field(out, "Invocations", f.path("invocations").asText("0"));

        out.println();
        out.println("Versions:");
        TextTable versions = new TextTable("VERSION", "DEPLOYED", "SOURCE SHA256");
        String active = f.path("version").asText();
        for (JsonNode v : f.path("versions")) {
            String version = v.path("version").asText();
            versions.add(version.equals(active) ? version + " (active)" : version, v.path("deployedAt").asText(),
                    v.path("sourceSha256").asText());
        }
        versions.print(out, "  ");

        out.println();
        if (f.path("instances").isEmpty()) {
            out.println("Instances: none (the first call starts one)");
            return;
        }
        int count = f.path("instanceCount").asInt(f.path("instances").size());
        out.println(count > f.path("instances").size()
                ? "Instances (the first " + f.path("instances").size() + " of " + count
                        + "; GET /system/instances?function=" + f.path("name").asText() + " lists all):"
                : "Instances:");
        TextTable instances = new TextTable("ID", "STATE", "ENDPOINT", "VERSION", "IN FLIGHT", "SERVED", "COLD START",
                "STARTED");
        for (JsonNode i : f.path("instances")) {
            String coldStart = i.path("coldStartMillis").isNumber()
                    ? String.format(Locale.ROOT, "%.1f ms", i.path("coldStartMillis").asDouble()) : "-";
            instances.add(i.path("id").asText(), i.path("state").asText(), i.path("endpoint").asText(),
                    i.path("version").asText(), i.path("inFlight").asText(), i.path("served").asText(), coldStart,
                    i.path("startedAt").asText());
        }
        instances.print(out, "  ");
    }

    private static void field(PrintWriter out, String label, String value) {
        out.printf("%-13s%s%n", label + ":", value);
    }

    private static String env(JsonNode env) {
        if (env.isEmpty()) {
            return "-";
        }
        List<String> pairs = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : env.properties()) {
            pairs.add(e.getKey() + "=" + e.getValue().asText());
        }
        return String.join(" ", pairs);
    }
}
