package dev.isola.config;

import dev.isola.host.Executables;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The validated server configuration. Built by {@link ConfigLoader} from an optional YAML file and {@code ISOLA_*}
 * environment overrides; every value is checked here, and a bad one names its key. Each sandbox backend owns a
 * {@link Section} of its own ({@code sandbox.<type>}), which it validates itself when it is created.
 *
 * @param defaultBackend sandbox type for functions that name none; {@code auto} picks the strongest available
 * @param maxBodyBytes   largest invocation request body the gateway accepts
 * @param maxArchiveBytes largest deploy archive (compressed) the admin API accepts
 * @param queueLimit     requests that may wait per function when all its instances are busy
 * @param startTimeout   how long an instance may take to become ready
 * @param drainTimeout   how long a stopping server lets calls in flight and queued calls finish before it stops the
 *                       instances under them
 * @param logMaxBytes    console output kept per function (twice this on disk at most)
 * @param gatewayThreads event loops of the gateway; 0 picks one per core, or one on hosts of two cores or fewer
 * @param gatewaySpinMicros how long a gateway event loop polls before it sleeps, while waits are short; 0 never
 *                       (the default on hosts of two cores or fewer, {@link #defaultSpinMicros})
 * @param gatewayTransport how the gateway's event loops do their I/O: {@code auto} (io_uring where the kernel offers
 *                       it and the loops do not poll, else epoll), {@code io_uring}, {@code epoll} or {@code nio}
 * @param startAdmission {@code cpu-pressure}: starts beyond one per core wait while the CPU is saturated; {@code off}
 * @param spareNetworks  container network attachments kept ready for cold starts (0 turns the pool off)
 * @param firewallCheckInterval how often the firewall is verified, and restored if something removed or altered it
 * @param clients        the edge's limits on client connections: slow heads and bodies, idleness, how many
 * @param sandbox        each backend's own section, by backend type
 * @param buildCache     where builds are kept between runs (Go's caches, guest kernels, VM images' parts); empty
 *                       for {@code <stateDir>/cache} ({@link #cacheDir()})
 * @param executables    where host programs are found (the platform's {@code PATH})
 * @param trust          what the operator lets functions have: the isolation floor and egress
 * @param admin          where the admin API and {@code /metrics} listen: loopback by default, never the public port
 * @param async          asynchronous calls: the queue's bound, retries, callbacks, what is kept and how long
 * @param node           the node's budget for instances: how many, and how much memory their limits add up to
 */
public record IsolaConfig(String host, int port, Path stateDir, String defaultBackend, long maxBodyBytes,
                          long maxArchiveBytes, int queueLimit, Duration startTimeout, Duration drainTimeout, long logMaxBytes,
                          int gatewayThreads, int gatewaySpinMicros, String gatewayTransport, String startAdmission,
                          int spareNetworks,
                          Duration firewallCheckInterval, ClientConfig clients, Map<String, Section> sandbox, Optional<Path> buildCache,
                          Executables executables,
                          TrustPolicy trust, AdminListener admin, AsyncConfig async, NodeConfig node) {
    /** Directories the host needs as they are: a state directory is made 0700, and its {@code run/} emptied. */
    private static final Set<String> SYSTEM_DIRECTORIES = Set.of("/", "/bin", "/boot", "/dev", "/etc", "/home",
            "/lib", "/lib64", "/opt", "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/usr/local",
            "/var", "/var/lib", "/var/tmp");

    public static final Set<String> START_ADMISSIONS = Set.of("cpu-pressure", "off");
    public static final Set<String> GATEWAY_TRANSPORTS = Set.of("auto", "io_uring", "epoll", "nio");
    /** The most network attachments the pool may be configured to keep ready. */
    public static final int MAX_SPARE_NETWORKS = 1024;
    /** Each check runs nft twice (a few ms); more often than this would cost CPU for little. */
    static final Duration MIN_FIREWALL_CHECK = Duration.ofMillis(100);
    static final Duration MAX_FIREWALL_CHECK = Duration.ofHours(1);
    /**
     * How long the firewall may be gone before Isola notices and restores it: short next to how long someone who
     * flushed the ruleset takes to notice, and two runs of nft (a few ms of CPU) every 5 s cost 0.1 % of a core.
     */
    public static final Duration DEFAULT_FIREWALL_CHECK = Duration.ofSeconds(5);

    public IsolaConfig {
        require(host != null && !host.isBlank(), "host", "must not be empty");
        require(port >= 0 && port <= 65535, "port", "must be between 0 and 65535");
        require(stateDir != null, "stateDir", "must be set");
        require(!SYSTEM_DIRECTORIES.contains(stateDir.toAbsolutePath().normalize().toString()), "stateDir",
                "must be a directory of Isola's own (e.g. /var/lib/isola), not " + stateDir + ": Isola makes it 0700 "
                        + "and empties its run/");
        require(defaultBackend != null && defaultBackend.matches("[a-z0-9-]{1,32}"), "defaultBackend",
                "must be a backend type such as process, runc or auto");
        require(maxBodyBytes >= 1024, "maxBodyBytes", "must be at least 1024");
        require(maxArchiveBytes >= 1024, "maxArchiveBytes", "must be at least 1024");
        require(queueLimit >= 0, "queueLimit", "must not be negative");
        require(startTimeout != null && !startTimeout.isNegative() && !startTimeout.isZero(), "startTimeout",
                "must be positive");
        require(drainTimeout != null && !drainTimeout.isNegative(), "drainTimeout", "must not be negative");
        require(logMaxBytes >= 4096, "logMaxBytes", "must be at least 4096");
        require(gatewayThreads >= 0 && gatewayThreads <= 256, "gatewayThreads",
                "must be between 0 (one per core, one on two cores or fewer) and 256");
        require(gatewaySpinMicros >= 0 && gatewaySpinMicros <= 10_000, "gatewaySpinMicros",
                "must be between 0 (never poll) and 10000");
        require(GATEWAY_TRANSPORTS.contains(gatewayTransport), "gatewayTransport",
                "must be 'auto' (the default), 'io_uring', 'epoll' or 'nio'");
        require(START_ADMISSIONS.contains(startAdmission), "startAdmission",
                "must be 'cpu-pressure' (the default) or 'off'");
        require(spareNetworks >= 0 && spareNetworks <= MAX_SPARE_NETWORKS, "spareNetworks",
                "must be between 0 (no pool) and " + MAX_SPARE_NETWORKS);
        require(firewallCheckInterval != null && firewallCheckInterval.compareTo(MIN_FIREWALL_CHECK) >= 0
                && firewallCheckInterval.compareTo(MAX_FIREWALL_CHECK) <= 0, "firewallCheckInterval",
                "must be between 100ms and 1h");
        require(clients != null, "clients", "must be set");
        sandbox = Map.copyOf(sandbox);
        require(buildCache != null, "buildCache", "must be set or empty");
        require(executables != null, "PATH", "must be known");
        require(trust != null, "isolationFloor", "must be set");
        require(admin != null, "adminHost", "must be set");
        require(async != null, "asyncQueueLimit", "must be set");
        require(node != null, "nodeMaxInstances", "must be set");
    }

    /**
     * Network attachments kept ready by default: enough for a burst of 16 cold starts without making any on the spot.
     * With 16, bursts of 10..100 runc starts took 0.5-0.85 of the time they took with 2 (bench/container-burst.sh,
     * same harness and run conditions). Each costs 120-220 KiB of kernel memory and an address.
     */
    public static final int DEFAULT_SPARE_NETWORKS = 16;

    public static IsolaConfig defaults() {
        return new IsolaConfig("0.0.0.0", 8080, StateDirs.defaultStateDir(), "auto", 64L << 20, 128L << 20, 1024,
                Duration.ofSeconds(60), Duration.ofSeconds(30), 1L << 20, 0, defaultSpinMicros(Runtime.getRuntime().availableProcessors()),
                "auto", "cpu-pressure", DEFAULT_SPARE_NETWORKS, DEFAULT_FIREWALL_CHECK, ClientConfig.defaults(), Map.of(),
                Optional.empty(), Executables.fromPath(Optional.empty()), TrustPolicy.defaults(),
                AdminListener.defaults(), AsyncConfig.defaults(), NodeConfig.defaults());
    }

    /**
     * Polling pays only where a core is spare for it. On two cores, with the client, the gateway and the function
     * on them, the polling loop took 83 % of a core at c=1 and the others waited for the rest: added p99 +0.53 and
     * +1.30 ms with 100 µs of polling against +0.43 and +0.41 ms without, for the same added p50 as nginx's either
     * way (bench/gateway-latency.sh, two runs each, alternated). On larger hosts it keeps the 100 µs that took the
     * added p50 at c=1 from +0.105 to +0.043 ms.
     */
    static int defaultSpinMicros(int cores) {
        return cores > 2 ? 100 : 0;
    }

    /** Where builds are cached: {@code buildCache}, else {@code <stateDir>/cache}. */
    public Path cacheDir() {
        return buildCache.orElse(stateDir.resolve("cache"));
    }

    /** The section of sandbox backend {@code type}; empty when the configuration says nothing about it. */
    public Section sandbox(String type) {
        return sandbox.getOrDefault(type, Section.empty("sandbox." + type));
    }

    public IsolaConfig withPort(int newPort) {
        return new IsolaConfig(host, newPort, stateDir, defaultBackend, maxBodyBytes, maxArchiveBytes, queueLimit,
                startTimeout, drainTimeout, logMaxBytes, gatewayThreads, gatewaySpinMicros, gatewayTransport, startAdmission, spareNetworks, firewallCheckInterval, clients, sandbox,
                buildCache, executables, trust, admin, async, node);
    }

    public IsolaConfig withHost(String newHost) {
        return new IsolaConfig(newHost, port, stateDir, defaultBackend, maxBodyBytes, maxArchiveBytes, queueLimit,
                startTimeout, drainTimeout, logMaxBytes, gatewayThreads, gatewaySpinMicros, gatewayTransport, startAdmission, spareNetworks, firewallCheckInterval, clients, sandbox,
                buildCache, executables, trust, admin, async, node);
    }

    public IsolaConfig withStateDir(Path dir) {
        return new IsolaConfig(host, port, dir, defaultBackend, maxBodyBytes, maxArchiveBytes, queueLimit,
                startTimeout, drainTimeout, logMaxBytes, gatewayThreads, gatewaySpinMicros, gatewayTransport, startAdmission, spareNetworks, firewallCheckInterval, clients, sandbox,
                buildCache, executables, trust, admin, async, node);
    }

    public IsolaConfig withDefaultBackend(String backend) {
        return new IsolaConfig(host, port, stateDir, backend, maxBodyBytes, maxArchiveBytes, queueLimit,
                startTimeout, drainTimeout, logMaxBytes, gatewayThreads, gatewaySpinMicros, gatewayTransport, startAdmission, spareNetworks, firewallCheckInterval, clients, sandbox,
                buildCache, executables, trust, admin, async, node);
    }

    public IsolaConfig withBuildCache(Path dir) {
        return new IsolaConfig(host, port, stateDir, defaultBackend, maxBodyBytes, maxArchiveBytes, queueLimit,
                startTimeout, drainTimeout, logMaxBytes, gatewayThreads, gatewaySpinMicros, gatewayTransport, startAdmission, spareNetworks, firewallCheckInterval, clients, sandbox,
                Optional.of(dir), executables, trust, admin, async, node);
    }

    public IsolaConfig withFirewallCheckInterval(Duration interval) {
        return new IsolaConfig(host, port, stateDir, defaultBackend, maxBodyBytes, maxArchiveBytes, queueLimit,
                startTimeout, drainTimeout, logMaxBytes, gatewayThreads, gatewaySpinMicros, gatewayTransport, startAdmission, spareNetworks,
                interval, clients, sandbox, buildCache, executables, trust, admin, async, node);
    }

    public IsolaConfig withStartTimeout(Duration timeout) {
        return new IsolaConfig(host, port, stateDir, defaultBackend, maxBodyBytes, maxArchiveBytes, queueLimit,
                timeout, drainTimeout, logMaxBytes, gatewayThreads, gatewaySpinMicros, gatewayTransport, startAdmission, spareNetworks,
                firewallCheckInterval, clients, sandbox, buildCache, executables, trust, admin, async, node);
    }

    public IsolaConfig withDrainTimeout(Duration timeout) {
        return new IsolaConfig(host, port, stateDir, defaultBackend, maxBodyBytes, maxArchiveBytes, queueLimit,
                startTimeout, timeout, logMaxBytes, gatewayThreads, gatewaySpinMicros, gatewayTransport, startAdmission, spareNetworks,
                firewallCheckInterval, clients, sandbox, buildCache, executables, trust, admin, async, node);
    }

    public IsolaConfig withGatewayTransport(String transport) {
        return new IsolaConfig(host, port, stateDir, defaultBackend, maxBodyBytes, maxArchiveBytes, queueLimit,
                startTimeout, drainTimeout, logMaxBytes, gatewayThreads, gatewaySpinMicros, transport, startAdmission,
                spareNetworks, firewallCheckInterval, clients, sandbox, buildCache, executables, trust, admin, async, node);
    }

    public IsolaConfig withTrust(TrustPolicy policy) {
        return new IsolaConfig(host, port, stateDir, defaultBackend, maxBodyBytes, maxArchiveBytes, queueLimit,
                startTimeout, drainTimeout, logMaxBytes, gatewayThreads, gatewaySpinMicros, gatewayTransport, startAdmission, spareNetworks,
                firewallCheckInterval, clients, sandbox, buildCache, executables, policy, admin, async, node);
    }

    /** The same configuration with other client limits. */
    public IsolaConfig withClients(ClientConfig newClients) {
        return new IsolaConfig(host, port, stateDir, defaultBackend, maxBodyBytes, maxArchiveBytes, queueLimit,
                startTimeout, drainTimeout, logMaxBytes, gatewayThreads, gatewaySpinMicros, gatewayTransport, startAdmission, spareNetworks,
                firewallCheckInterval, newClients, sandbox, buildCache, executables, trust, admin, async, node);
    }

    public IsolaConfig withAdmin(AdminListener listener) {
        return new IsolaConfig(host, port, stateDir, defaultBackend, maxBodyBytes, maxArchiveBytes, queueLimit,
                startTimeout, drainTimeout, logMaxBytes, gatewayThreads, gatewaySpinMicros, gatewayTransport, startAdmission, spareNetworks,
                firewallCheckInterval, clients, sandbox, buildCache, executables, trust, listener, async, node);
    }

    public IsolaConfig withAsync(AsyncConfig newAsync) {
        return new IsolaConfig(host, port, stateDir, defaultBackend, maxBodyBytes, maxArchiveBytes, queueLimit,
                startTimeout, drainTimeout, logMaxBytes, gatewayThreads, gatewaySpinMicros, gatewayTransport, startAdmission, spareNetworks,
                firewallCheckInterval, clients, sandbox, buildCache, executables, trust, admin, newAsync, node);
    }

    public IsolaConfig withNode(NodeConfig newNode) {
        return new IsolaConfig(host, port, stateDir, defaultBackend, maxBodyBytes, maxArchiveBytes, queueLimit,
                startTimeout, drainTimeout, logMaxBytes, gatewayThreads, gatewaySpinMicros, gatewayTransport, startAdmission, spareNetworks,
                firewallCheckInterval, clients, sandbox, buildCache, executables, trust, admin, async, newNode);
    }

    static void require(boolean ok, String key, String what) {
        if (!ok) {
            throw new ConfigException("Invalid configuration: '" + key + "' " + what);
        }
    }
}
