package dev.isola.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.OutputStream;

/** Entry point of the {@code isola} command. Client subcommands talk to a server over its HTTP API only. */
@Command(name = "isola",
        mixinStandardHelpOptions = true,
        version = "isola 0.1.0",
        description = "Single-node edge Function-as-a-Service with pluggable isolation.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:Success", "1:The request failed or the server rejected it", "2:Usage error"},
        subcommands = {ServeCommand.class, UpCommand.class, DoctorCommand.class, NewCommand.class, RunCommand.class,
                DeployCommand.class, InvokeCommand.class, ListCommand.class, DescribeCommand.class, RmCommand.class,
                LogsCommand.class, InvocationsCommand.class, VersionsCommand.class, RollbackCommand.class,
                TrafficCommand.class, CallCommand.class, CallsCommand.class, BenchCommand.class, ServiceCommand.class,
                HelpCommand.class})
public final class IsolaCommand implements Runnable {
    private final OutputStream rawOut;

    private CommandSpec spec;

    public IsolaCommand() {
        this(System.out);
    }

    /**
     * @param rawOut where {@code invoke} writes response bodies: bytes, not text, so that binary and non-UTF-8
     *               bodies arrive unchanged (picocli's out is a character writer)
     */
    public IsolaCommand(OutputStream rawOut) {
        this.rawOut = rawOut;
    }

    public static void main(String[] args) {
        // One line per record, entity first in the message ("fn=hello inst=... started"), for java.util.logging,
        // the one backend System.Logger and Helidon log to here.
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tT.%1$tL %4$-7s %5$s%6$s%n");
        }
        // Before the first logger: the manager is chosen once, when logging starts.
        if (System.getProperty("java.util.logging.manager") == null) {
            System.setProperty("java.util.logging.manager", ShutdownSafeLogManager.class.getName());
        }
        System.exit(new CommandLine(new IsolaCommand()).execute(args));
    }

    /**
     * Picocli injects the spec while it builds the model, before any parsing, so this is the one place that
     * configures parsing for {@code main} and for tests alike. Picocli's {@code @file} argument expansion is off:
     * {@code invoke -d @payload.json} means "send this file", as in curl.
     */
    @Spec
    void spec(CommandSpec commandSpec) {
        this.spec = commandSpec;
        commandSpec.parser().expandAtFiles(false);
    }

    OutputStream rawOut() {
        return rawOut;
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing subcommand");
    }
}
