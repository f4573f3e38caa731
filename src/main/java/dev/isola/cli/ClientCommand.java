package dev.isola.cli;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * Base of the subcommands that talk to a server: the shared {@link ConnectOptions}, and the one place where a failed
 * request becomes a message on stderr and exit code 1. Usage errors are picocli {@code ParameterException}s and
 * exit with 2; anything else is a bug and keeps picocli's stack trace.
 */
abstract class ClientCommand implements Callable<Integer> {
    @Mixin
    ConnectOptions server;

    @Spec
    CommandSpec spec;

    // Only --help: picocli's standard mixin would add a -V that prints nothing on a subcommand.
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    private boolean help;

    @Override
    public final Integer call() {
        try {
            return execute();
        } catch (CliException e) {
            err().println(describe(e));
            return 1;
        } finally {
            out().flush();
            err().flush();
        }
    }

    /** Does the work and returns the exit code; throws {@link CliException} for failures a person can act on. */
    abstract int execute();

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    static String describe(CliException e) {
        if (!(e instanceof AdminClientException rejected)) {
            return "Error: " + e.getMessage();
        }
        String message = rejected.getMessage();
        // Multi-line messages (compiler output of build_failed) read best starting on their own line.
        String text = "Error (HTTP " + rejected.status() + " " + rejected.code() + "):"
                + (message.contains("\n") ? "\n" : " ") + message.stripTrailing();
        if (rejected.status() == 401) {
            text += "\nCheck the admin token: --token, ISOLA_TOKEN, or the admin-token file in the server's state dir.";
        }
        return text;
    }
}
