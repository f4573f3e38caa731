package dev.isola.config;

/**
 * Where the control plane (admin API and {@code /metrics}) listens. The public port serves functions and
 * {@code /healthz} only, so that a caller of functions never reaches the admin API, whatever the token's strength;
 * by default the control plane is on loopback, for the operator's CLI on the host (or an SSH tunnel, or a reverse
 * proxy with TLS in front).
 *
 * @param host address to listen on ({@code adminHost}); anything but loopback exposes the API to that network
 * @param port port ({@code adminPort}); 0 picks a free one
 */
public record AdminListener(String host, int port) {
    public static final int DEFAULT_PORT = 8081;

    public AdminListener {
        if (host == null || host.isBlank()) {
            throw new ConfigException("Invalid configuration: 'adminHost' must not be empty");
        }
        if (port < 0 || port > 65535) {
            throw new ConfigException("Invalid configuration: 'adminPort' must be between 0 and 65535");
        }
    }

    public static AdminListener defaults() {
        return new AdminListener("127.0.0.1", DEFAULT_PORT);
    }
}
