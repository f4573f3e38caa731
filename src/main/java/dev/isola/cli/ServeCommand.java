package dev.isola.cli;

import dev.isola.config.IsolaConfig;
import dev.isola.server.IsolaServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import sun.misc.Signal;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code isola serve}: runs the platform in the foreground until interrupted. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the Isola server (gateway, admin API, dispatcher) in the foreground.")
final class ServeCommand implements Callable<Integer> {
    @Mixin
    LocalServerOptions options = new LocalServerOptions();

    @Override
    public Integer call() throws InterruptedException {
        IsolaConfig config = options.config();
        IsolaServer server = IsolaServer.start(config);
        stopOnShutdown(server);
        System.out.println("Isola is serving on http://" + displayHost(config.host()) + ":" + server.port()
                + " (default backend " + server.defaultBackend() + ")");
        System.out.println("Admin token: " + config.stateDir().resolve("admin-token"));
        SystemdNotify.send("READY=1\nSTATUS=serving on port " + server.port());
        new CountDownLatch(1).await();
        return 0;
    }

    static String displayHost(String host) {
        return host.equals("0.0.0.0") ? "127.0.0.1" : host;
    }

    /**
     * On SIGINT/SIGTERM the JVM runs this hook: it drains requests and stops every instance before the process
     * exits, so a stopped server leaves no sandbox behind. A second SIGINT/SIGTERM while it drains cuts the wait for
     * calls short (the instances are still stopped): without a handler of its own, the JVM would ignore it while the
     * hook runs.
     */
    static void stopOnShutdown(IsolaServer server) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (String name : List.of("TERM", "INT")) {
                Signal.handle(new Signal(name), signal -> {
                    // Printed, not logged: the JDK's logging shuts down in a hook of its own as the JVM stops.
                    System.out.println("Second stop signal (SIG" + name + "): cutting the drain short, stopping "
                            + "instances under the calls still running");
                    server.cutDrainShort();
                });
            }
            SystemdNotify.send("STOPPING=1\nSTATUS=draining calls in flight");
            System.out.println("Stopping Isola: draining requests and stopping instances...");
            server.close();
            System.out.println("Isola stopped");
            System.out.flush();
            // A stop asked for and done cleanly is a success: exit 0, not the 143 of death by SIGTERM (systemd
            // would count that as a failure). Every sandbox is gone and the listeners are closed by now.
            Runtime.getRuntime().halt(0);
        }, "isola-shutdown"));
    }
}
