package dev.isola.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isola.config.IsolaConfig;
import dev.isola.config.ConfigLoader;
import dev.isola.server.HostBackends;
import dev.isola.server.IsolaServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * {@code isola up}: the newcomer's one command. Starts the server on the best backend this host has, deploys every
 * example function (skipping those whose sources are unchanged since the last run), prints how to call them, and
 * serves until interrupted. The launcher script installs missing Debian packages before this runs.
 */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Start Isola with the example functions deployed on the best backend this host supports.")
final class UpCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    LocalServerOptions serve = new LocalServerOptions();

    @Option(names = "--functions", description = "Directory of example functions (default $ISOLA_HOME/functions).")
    Path functionsDir;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        IsolaConfig config = serve.config();
        Path examples = Optional.ofNullable(functionsDir).orElseGet(() -> Path.of(
                ConfigLoader.environment("ISOLA_HOME").orElse("."), "functions"));
        List<Path> dirs = functionDirs(examples);
        // A host that can run microVMs gets the minimal guest kernel before the first function needs it.
        HostBackends host = HostBackends.of(config);
        host.prepare(host.runnable(), line -> {
            out.println(line);
            out.flush();
        });
        IsolaServer server = IsolaServer.start(config);
        ServeCommand.stopOnShutdown(server);
        out.printf("Isola is up on %s (default backend %s); its admin API and /metrics on %s%n", server.baseUri(),
                server.defaultBackend(), server.adminUri());
        AdminClient client = AdminClient.create(server.adminUri()).withToken(server.adminToken());
        List<String> deployed = new ArrayList<>();
        for (Path dir : dirs) {
            FunctionDirectory fn = FunctionDirectory.open(dir);
            byte[] zip = fn.zip();
            out.printf("  %-14s ", fn.name());
            out.flush();
            try {
                if (unchanged(client, fn, zip)) {
                    out.println("unchanged");
                } else {
                    JsonNode detail = client.putJson("/system/functions/" + fn.name(), zip, "application/zip",
                            AdminClient.SLOW_TIMEOUT);
                    out.printf("deployed version %d (%s)%n", detail.path("version").asInt(),
                            detail.path("runtime").asText());
                }
                deployed.add(fn.name().value());
            } catch (CliException e) {
                out.println("FAILED: " + e.getMessage());
            }
        }
        String base = "http://" + ServeCommand.displayHost(config.host()) + ":" + server.port();
        out.println();
        out.println("Call them:");
        for (String name : deployed) {
            out.printf("  curl %s/function/%s%n", base, name);
        }
        out.printf("Admin token: %s (the CLI reads it from there: ./isola list)%n",
                config.stateDir().resolve("admin-token"));
        out.println("Press Ctrl-C to stop; instances are stopped with the server.");
        out.flush();
        new CountDownLatch(1).await();
        return 0;
    }

    private static boolean unchanged(AdminClient client, FunctionDirectory fn, byte[] zip) {
        try {
            JsonNode versions = client.getJson("/system/functions/" + fn.name()).path("versions");
            return versions.size() > 0 && versions.get(versions.size() - 1).path("sourceSha256").asText()
                    .equals(sha256(zip));
        } catch (AdminClientException e) {
            return false;
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<Path> functionDirs(Path examples) {
        if (!Files.isDirectory(examples)) {
            throw new CliException("No example functions at " + examples + ": pass --functions DIR or run from the "
                    + "Isola checkout");
        }
        try (Stream<Path> walk = Files.walk(examples, 3)) {
            return walk.filter(p -> Files.isRegularFile(p.resolve(FunctionDirectory.MANIFEST))).sorted().toList();
        } catch (IOException e) {
            throw new CliException("Cannot list " + examples + ": " + e.getMessage(), e);
        }
    }
}
