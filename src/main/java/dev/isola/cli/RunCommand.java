package dev.isola.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isola.config.AdminListener;
import dev.isola.config.ConfigLoader;
import dev.isola.config.IsolaConfig;
import dev.isola.config.TrustPolicy;
import dev.isola.host.FileTrees;
import dev.isola.server.IsolaServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code isola run DIR}: the edit-and-try loop. One function directory served on this host through the same build
 * and the same handler wrapper as a deploy, on the process backend, by a server of its own with a throw-away state
 * directory (no token to find, nothing kept); a change to a file rebuilds it and the new version takes the next
 * call. Ctrl-C stops it and removes the state.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Serve one function directory locally (process backend, a throw-away server), rebuilding it "
                + "whenever a file in it changes.")
final class RunCommand implements Callable<Integer> {
    /** Editors write a file in several steps: changes this close together are one. */
    private static final long QUIET_MILLIS = 300;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "The function's directory (with function.yaml).")
    private Path dir;

    @Option(names = "--port", defaultValue = "8080", description = "Port to serve on, on 127.0.0.1 (default: "
            + "${DEFAULT-VALUE}; 0 picks a free one).")
    private int port;

    @Option(names = "--no-watch", description = "Build once and serve, without rebuilding on changes.")
    private boolean noWatch;

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        FunctionDirectory fn;
        try {
            fn = FunctionDirectory.open(dir);
        } catch (CliException e) {
            spec.commandLine().getErr().println("Error: " + e.getMessage());
            return 1;
        }
        Path state = Files.createTempDirectory("isola-run-");
        IsolaConfig config = ConfigLoader.load(Optional.empty()).withHost("127.0.0.1").withPort(port)
                .withStateDir(state).withDefaultBackend("process")
                // The developer's own code on their own host: the process backend, no egress beyond what it has.
                .withTrust(new TrustPolicy("none", false, List.of())).withAdmin(new AdminListener("127.0.0.1", 0));
        IsolaServer server;
        try {
            server = IsolaServer.start(config);
        } catch (RuntimeException e) {
            FileTrees.deleteQuietly(state);
            throw e;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            FileTrees.deleteQuietly(state);
            System.out.println("Stopped; the run's state is removed");
            System.out.flush();
            Runtime.getRuntime().halt(0); // a stop asked for is a success, not death by SIGINT/SIGTERM
        }, "isola-run-stop"));
        AdminClient client = AdminClient.create(server.adminUri()).withToken(server.adminToken());
        deploy(client, dir, out);
        out.printf("Serving %s at %s/function/%s/ (Ctrl-C stops)%n", fn.name(), server.baseUri(), fn.name());
        out.flush();
        if (noWatch) {
            Thread.currentThread().join();
        }
        watch(client, out);
        return 0;
    }

    /** Builds and deploys the directory as it is now; a failed build is printed and the previous version serves. */
    private static void deploy(AdminClient client, Path dir, PrintWriter out) {
        try {
            FunctionDirectory fn = FunctionDirectory.open(dir);
            JsonNode detail = client.putJson("/system/functions/" + fn.name(), fn.zip(), "application/zip",
                    AdminClient.SLOW_TIMEOUT);
            out.printf("Built and serving version %d%n", detail.path("version").asInt());
        } catch (CliException e) {
            out.println("Build failed (the previous version keeps serving): " + e.getMessage());
        }
        out.flush();
    }

    private void watch(AdminClient client, PrintWriter out) throws IOException, InterruptedException {
        try (WatchService watcher = FileSystems.getDefault().newWatchService()) {
            register(watcher, dir);
            while (true) {
                WatchKey key = watcher.take();
                boolean changed = drain(key, watcher);
                if (changed) {
                    register(watcher, dir); // new directories are watched too
                    out.println("Changed; rebuilding...");
                    out.flush();
                    deploy(client, dir, out);
                }
            }
        }
    }

    /** Takes the events of {@code first} and of every key that comes within {@link #QUIET_MILLIS}. */
    private static boolean drain(WatchKey first, WatchService watcher) throws InterruptedException {
        boolean changed = false;
        WatchKey key = first;
        while (key != null) {
            changed |= !key.pollEvents().isEmpty();
            key.reset();
            key = watcher.poll(QUIET_MILLIS, TimeUnit.MILLISECONDS);
        }
        return changed;
    }

    private static void register(WatchService watcher, Path root) throws IOException {
        try (Stream<Path> dirs = Files.walk(root)) {
            for (Path d : dirs.filter(Files::isDirectory)
                    .filter(d -> !d.getFileName().toString().equals(".git")).toList()) {
                d.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                        StandardWatchEventKinds.ENTRY_DELETE);
            }
        }
    }
}
