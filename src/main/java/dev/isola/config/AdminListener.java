package dev.isola.config;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the control plane (admin API and {@code /metrics}) listens. The public port serves functions and
 * {@code /healthz} only, so that a caller of functions never reaches the admin API, whatever the token's strength;
 * by default the control plane is on loopback, for the operator's CLI on the host (or an SSH tunnel). Off loopback,
 * give it TLS ({@code adminTlsCert}, {@code adminTlsKey}), so that the token does not cross the network in clear.
 *
 * @param host address to listen on ({@code adminHost}); anything but loopback exposes the API to that network
 * @param port port ({@code adminPort}); 0 picks a free one
 * @param tls  the certificate chain and private key (PEM files) to serve HTTPS with; empty: plain HTTP
 */
public record AdminListener(String host, int port, Optional<Tls> tls) {
    public static final int DEFAULT_PORT = 8081;

    /** PEM files: the certificate chain (the server's first) and its private key (PKCS#8, PKCS#1 or EC). */
    public record Tls(Path certChain, Path privateKey) {
    }

    public AdminListener {
        if (host == null || host.isBlank()) {
            throw new ConfigException("Invalid configuration: 'adminHost' must not be empty");
        }
        if (port < 0 || port > 65535) {
            throw new ConfigException("Invalid configuration: 'adminPort' must be between 0 and 65535");
        }
    }

    /** Plain HTTP. */
    public AdminListener(String host, int port) {
        this(host, port, Optional.empty());
    }

    /**
     * TLS from the two files, which must both be given or both be absent. Read when the listener starts, so a
     * missing or unreadable file fails the start naming the key.
     */
    static Optional<Tls> tls(Optional<Path> certChain, Optional<Path> privateKey) {
        if (certChain.isPresent() != privateKey.isPresent()) {
            throw new ConfigException("Invalid configuration: 'adminTlsCert' and 'adminTlsKey' go together: give "
                    + "both (HTTPS) or neither (plain HTTP)");
        }
        return certChain.map(c -> new Tls(c, privateKey.get()));
    }

    public AdminListener withTls(Optional<Tls> newTls) {
        return new AdminListener(host, port, newTls);
    }

    public static AdminListener defaults() {
        return new AdminListener("127.0.0.1", DEFAULT_PORT);
    }
}
