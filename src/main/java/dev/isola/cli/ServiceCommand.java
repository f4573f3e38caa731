package dev.isola.cli;

import dev.isola.config.ConfigLoader;
import dev.isola.config.IsolaConfig;
import dev.isola.host.HostException;
import dev.isola.host.ProcessRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code isola service install|uninstall}: Isola as a systemd service ({@link SystemdUnit}). The jar is copied to
 * {@code /usr/local/lib/isola} (the build tree may change or go), the unit goes to {@code /etc/systemd/system}, the
 * configuration is read from {@code /etc/isola/isola.yaml} when it exists and the state lives in
 * {@code /var/lib/isola}. Where systemd is the init, the unit is enabled and started; elsewhere it is only written.
 */
@Command(name = "service", mixinStandardHelpOptions = true,
        description = "Install or remove Isola as a systemd service.",
        subcommands = {ServiceCommand.Install.class, ServiceCommand.Uninstall.class})
final class ServiceCommand implements Runnable {
    static final Path CONFIG = Path.of("/etc/isola/isola.yaml");
    static final Path SYSTEMD_RUNNING = Path.of("/run/systemd/system");
    static final Path SYSTEM_UNITS = Path.of("/etc/systemd/system");
    /** Starting the unit waits for its readiness: a server restoring many functions takes a while. */
    private static final Duration SYSTEMCTL_TIMEOUT = Duration.ofMinutes(3);

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Where the pieces go: the defaults are Debian's places; tests point them at a temporary directory. */
    static final class Places {
        @Option(names = "--unit-dir", description = "Where the unit file goes (default /etc/systemd/system).")
        Path unitDir = SYSTEM_UNITS;

        @Option(names = "--lib-dir", description = "Where the jar is installed (default /usr/local/lib/isola).")
        Path libDir = Path.of("/usr/local/lib/isola");

        /** Whether systemd is this host's init and the unit is where it looks: only then is systemctl run. */
        boolean systemdManaged() {
            return Files.isDirectory(SYSTEMD_RUNNING) && unitDir.equals(SYSTEM_UNITS);
        }

        Path unit() {
            return unitDir.resolve(SystemdUnit.NAME);
        }

        Path jar() {
            return libDir.resolve("isola.jar");
        }
    }

    @Command(name = "install", mixinStandardHelpOptions = true,
            description = "Install the jar, write the systemd unit (serve flags given here are passed on) and, where "
                    + "systemd runs, enable and start it.")
    static final class Install implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Places places = new Places();

        @Mixin
        LocalServerOptions server = new LocalServerOptions();

        @Option(names = "--jar", description = "The Isola jar to install (default: the one running).")
        Path jar;

        @Option(names = "--no-start", description = "Write the unit but neither enable nor start it.")
        boolean noStart;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            if (server.configFile == null && Files.isRegularFile(CONFIG)) {
                server.configFile = CONFIG;
            }
            IsolaConfig config = server.config(); // refuses a bad configuration now, not at the first boot
            Path source = jar != null ? jar : runningJar();
            Files.createDirectories(places.libDir);
            Path staged = places.jar().resolveSibling("isola.jar.tmp");
            Files.copy(source, staged, StandardCopyOption.REPLACE_EXISTING);
            Files.move(staged, places.jar(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            SystemdUnit unit = new SystemdUnit(Path.of(System.getProperty("java.home"), "bin", "java"),
                    places.jar().toAbsolutePath(), server.asArgs(), config.drainTimeout());
            Files.createDirectories(places.unitDir);
            Files.writeString(places.unit(), unit.render());
            out.println("Wrote " + places.unit() + " (runs " + places.jar() + ", state in " + config.stateDir() + ")");
            if (noStart) {
                return 0;
            }
            if (!places.systemdManaged()) {
                out.println("Not started: systemd is not this host's init (no " + SYSTEMD_RUNNING + ") or the unit is "
                        + "not in " + SYSTEM_UNITS + "; where it is: systemctl enable --now " + SystemdUnit.NAME);
                return 0;
            }
            systemctl("daemon-reload");
            systemctl("enable", "--now", SystemdUnit.NAME);
            out.println("Enabled and started " + SystemdUnit.NAME + " (journalctl -u isola for its logs)");
            return 0;
        }

        private static Path runningJar() {
            try {
                Path location = Path.of(IsolaCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                if (Files.isRegularFile(location) && location.toString().endsWith(".jar")) {
                    return location;
                }
            } catch (URISyntaxException | SecurityException e) {
                // fall through to the error below
            }
            throw new CliException("Isola is not running from its jar: run ./isola service install, or give --jar");
        }
    }

    @Command(name = "uninstall", mixinStandardHelpOptions = true,
            description = "Stop and disable the service, remove its unit and jar. The state directory stays.")
    static final class Uninstall implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Places places = new Places();

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            boolean systemd = places.systemdManaged();
            if (systemd && Files.exists(places.unit())) {
                systemctl("disable", "--now", SystemdUnit.NAME);
            }
            boolean removed = Files.deleteIfExists(places.unit());
            Files.deleteIfExists(places.jar());
            if (systemd) {
                systemctl("daemon-reload");
            }
            out.println(removed ? "Removed " + places.unit() + " and " + places.jar() + "; the state directory stays"
                    : "No " + places.unit() + ": nothing to remove");
            return 0;
        }
    }

    private static void systemctl(String... args) {
        List<String> argv = new ArrayList<>(List.of("systemctl"));
        argv.addAll(List.of(args));
        try {
            ProcessRunner.create(ConfigLoader.load(Optional.empty()).executables())
                    .run(dev.isola.host.Command.of(argv).withTimeout(SYSTEMCTL_TIMEOUT));
        } catch (HostException e) {
            throw new CliException(e.getMessage(), e);
        }
    }
}
