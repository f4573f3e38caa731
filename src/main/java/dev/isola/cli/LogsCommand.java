package dev.isola.cli;

import dev.isola.function.FunctionName;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** {@code isola logs NAME}: the captured console output of a function's instances. */
@Command(name = "logs",
        description = "Print the stdout/stderr of a function's instances, oldest line first, each line prefixed "
                + "with its time and instance id.")
final class LogsCommand extends ClientCommand {
    /** The server keeps and returns at most this many lines per request. */
    static final int MAX_TAIL = 10_000;

    @Parameters(index = "0", paramLabel = "NAME", converter = FunctionNameConverter.class, description = "Function name.")
    private FunctionName name;

    @Option(names = {"-n", "--tail"}, paramLabel = "N", defaultValue = "200",
            description = "Number of newest lines, 1-" + MAX_TAIL + " (default: ${DEFAULT-VALUE}).")
    private int tail;

    @Option(names = {"-f", "--follow"}, description = "Print new lines as the instances write them (each with its "
            + "time), until interrupted.")
    private boolean follow;

    @Option(names = "--since", paramLabel = "WHEN", description = "Only lines written since WHEN: an instant "
            + "(2026-12-04T19:00:00Z) or an age (30s, 10m, 2h). With -f they come first, then the new ones.")
    private String since;

    @Override
    int execute() {
        if (tail < 1 || tail > MAX_TAIL) {
            throw new ParameterException(spec.commandLine(), "--tail must be between 1 and " + MAX_TAIL);
        }
        String sinceQuery = "";
        if (since != null) {
            if (!since.matches("\\d{1,9}[smh]|\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z")) {
                throw new ParameterException(spec.commandLine(), "--since must be an instant such as "
                        + "2026-12-04T19:00:00Z or an age such as 30s, 10m or 2h");
            }
            sinceQuery = "&since=" + since;
        }
        if (follow) {
            // Server-sent events: "data: <time> <instance> <text>" lines, comments (":") keep the stream alive.
            // With --since the lines since then (at most --tail) come first; else only new ones.
            String replay = since == null ? "" : "&tail=" + tail + sinceQuery;
            server.adminClient().stream("/system/functions/" + name + "/logs?follow=true" + replay, line -> {
                if (line.startsWith("data: ")) {
                    out().println(line.substring("data: ".length()));
                    out().flush();
                }
            });
            return 0;
        }
        String text = server.adminClient().getText("/system/functions/" + name + "/logs?tail=" + tail + sinceQuery);
        out().print(text);
        if (!text.isEmpty() && !text.endsWith("\n")) {
            out().println();
        }
        return 0;
    }
}
