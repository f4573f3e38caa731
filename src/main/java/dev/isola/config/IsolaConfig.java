package dev.isola.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The validated server configuration. Built by {@link ConfigLoader} from an optional YAML file and {@code ISOLA_*}
 * environment overrides; every value is checked here, and a bad one names its key.
 *
 * @param defaultBackend sandbox type for functions that name none; {@code auto} picks the strongest available
 * @param maxBodyBytes   largest invocation request body the gateway accepts
 * @param maxArchiveBytes largest deploy archive (compressed) the admin API accepts
 * @param queueLimit     requests that may wait per function when all its instances are busy
 * @param startTimeout   how long an instance may take to become ready
 * @param logMaxBytes    console output kept per function (twice this on disk at most)
 * @param gatewayThreads event loops of the gateway; 0 picks one per core
 * @param gatewaySpinMicros how long a gateway event loop polls before it sleeps, while waits are short; 0 never
 */
public record IsolaConfig(String host, int port, Path stateDir, String defaultBackend, long maxBodyBytes,
                          long maxArchiveBytes, int queueLimit, Duration startTimeout, long logMaxBytes,
                          int gatewayThreads, int gatewaySpinMicros) {
    public IsolaConfig {
        require(host != null && !host.isBlank(), "host", "must not be empty");
        require(port >= 0 && port <= 65535, "port", "must be between 0 and 65535");
        require(stateDir != null, "stateDir", "must be set");
        require(defaultBackend != null && defaultBackend.matches("[a-z0-9-]{1,32}"), "defaultBackend",
                "must be a backend type such as process, runc or auto");
        require(maxBodyBytes >= 1024, "maxBodyBytes", "must be at least 1024");
        require(maxArchiveBytes >= 1024, "maxArchiveBytes", "must be at least 1024");
        require(queueLimit >= 0, "queueLimit", "must not be negative");
        require(startTimeout != null && !startTimeout.isNegative() && !startTimeout.isZero(), "startTimeout",
                "must be positive");
        require(logMaxBytes >= 4096, "logMaxBytes", "must be at least 4096");
        require(gatewayThreads >= 0 && gatewayThreads <= 256, "gatewayThreads",
                "must be between 0 (one per core) and 256");
        require(gatewaySpinMicros >= 0 && gatewaySpinMicros <= 10_000, "gatewaySpinMicros",
                "must be between 0 (never poll) and 10000");
    }

    public static IsolaConfig defaults() {
        return new IsolaConfig("0.0.0.0", 8080, StateDirs.defaultStateDir(), "auto", 64L << 20, 128L << 20, 1024,
                Duration.ofSeconds(60), 1L << 20, 0, 100);
    }

    public IsolaConfig withPort(int newPort) {
        return new IsolaConfig(host, newPort, stateDir, defaultBackend, maxBodyBytes, maxArchiveBytes, queueLimit,
                startTimeout, logMaxBytes, gatewayThreads, gatewaySpinMicros);
    }

    public IsolaConfig withHost(String newHost) {
        return new IsolaConfig(newHost, port, stateDir, defaultBackend, maxBodyBytes, maxArchiveBytes, queueLimit,
                startTimeout, logMaxBytes, gatewayThreads, gatewaySpinMicros);
    }

    public IsolaConfig withStateDir(Path dir) {
        return new IsolaConfig(host, port, dir, defaultBackend, maxBodyBytes, maxArchiveBytes, queueLimit,
                startTimeout, logMaxBytes, gatewayThreads, gatewaySpinMicros);
    }

    public IsolaConfig withDefaultBackend(String backend) {
        return new IsolaConfig(host, port, stateDir, backend, maxBodyBytes, maxArchiveBytes, queueLimit, startTimeout,
                logMaxBytes, gatewayThreads, gatewaySpinMicros);
    }

    private static void require(boolean ok, String key, String what) {
        if (!ok) {
            throw new ConfigException("Invalid configuration: '" + key + "' " + what);
        }
    }
}
