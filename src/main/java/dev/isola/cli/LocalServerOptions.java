package dev.isola.cli;

import dev.isola.config.AdminListener;
import dev.isola.config.ConfigLoader;
import dev.isola.config.IsolaConfig;
import dev.isola.config.TrustPolicy;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The flags of the server that {@code serve} and {@code up} run in this process (as opposed to
 * {@link ConnectOptions}, which say where a server to talk to is); flags override the file and the environment.
 */
final class LocalServerOptions {
    @Option(names = "--port", description = "Gateway port (default 8080; 0 picks a free one).")
    Integer port;

    @Option(names = "--host", description = "Address to listen on (default 0.0.0.0).")
    String host;

    @Option(names = "--state-dir", description = "State directory (default /var/lib/isola as root, else "
            + "~/.local/share/isola).")
    Path stateDir;

    @Option(names = "--config", description = "YAML configuration file.")
    Path configFile;

    @Option(names = "--backend", description = "Default sandbox backend for functions that name none "
            + "(default auto: the strongest this host runs).")
    String backend;

    @Option(names = "--admin-host", description = "Address the admin API and /metrics listen on (default "
            + "127.0.0.1).")
    String adminHost;

    @Option(names = "--admin-port", description = "Port of the admin API and /metrics (default 8081; 0 picks a "
            + "free one).")
    Integer adminPort;

    @Option(names = "--isolation-floor", description = "Weakest sandbox a deploy may use: none, container, sandbox "
            + "(gVisor) or vm (default container as root, else none).")
    String isolationFloor;

    @Option(names = "--allow-egress", description = "Honour 'egress: true' in manifests (default: refuse such "
            + "deploys).")
    Boolean allowEgress;

    /** The flags given, as {@code serve} takes them: what a service unit passes on to the server it runs. */
    List<String> asArgs() {
        List<String> args = new ArrayList<>();
        add(args, "--port", port);
        add(args, "--host", host);
        add(args, "--state-dir", stateDir == null ? null : stateDir.toAbsolutePath());
        add(args, "--config", configFile == null ? null : configFile.toAbsolutePath());
        add(args, "--backend", backend);
        add(args, "--admin-host", adminHost);
        add(args, "--admin-port", adminPort);
        add(args, "--isolation-floor", isolationFloor);
        add(args, "--allow-egress", allowEgress);
        return args;
    }

    private static void add(List<String> args, String flag, Object value) {
        if (value != null) {
            args.add(flag + "=" + value);
        }
    }

    IsolaConfig config() {
        IsolaConfig c = ConfigLoader.load(Optional.ofNullable(configFile));
        if (port != null) {
            c = c.withPort(port);
        }
        if (host != null) {
            c = c.withHost(host);
        }
        if (stateDir != null) {
            c = c.withStateDir(stateDir.toAbsolutePath());
        }
        if (backend != null) {
            c = c.withDefaultBackend(backend);
        }
        if (adminHost != null || adminPort != null) {
            c = c.withAdmin(new AdminListener(adminHost != null ? adminHost : c.admin().host(),
                    adminPort != null ? adminPort : c.admin().port(), c.admin().tls()));
        }
        if (isolationFloor != null || allowEgress != null) {
            TrustPolicy t = c.trust();
            c = c.withTrust(new TrustPolicy(isolationFloor != null ? isolationFloor : t.isolationFloor(),
                    allowEgress != null ? allowEgress : t.allowEgress(), t.egressPrivateRanges()));
        }
        return c;
    }
}
