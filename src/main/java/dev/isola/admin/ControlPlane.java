package dev.isola.admin;

import dev.isola.api.ErrorCode;
import dev.isola.api.Route;
import dev.isola.async.AsyncCalls;
import dev.isola.metrics.PrometheusMetrics;
import dev.isola.store.Store;
import dev.isola.IsolaException;
import io.helidon.common.configurable.Resource;
import io.helidon.common.pki.Keys;
import io.helidon.common.tls.Tls;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The control plane: the admin API behind its token, {@code /metrics} and the JSON 404 of unknown routes, on a
 * listener of its own (Helidon, blocking handlers on virtual threads), loopback by default: the public port never
 * reaches it. Its routes are exactly the {@link Route.Plane#CONTROL} routes of the table.
 */
public final class ControlPlane implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ControlPlane.class.getName());

    private final WebServer server;

    private ControlPlane(WebServer server) {
        this.server = server;
    }

    /** What the control plane serves; all of it is owned (and closed) by the caller. */
    public record Parts(Deployments deployments, Store store, AsyncCalls calls, PrometheusMetrics metrics,
                        String adminToken, long maxArchiveBytes, String host, int port, Optional<TlsFiles> tls) {
    }

    /** The certificate chain and private key, PEM files, to serve HTTPS with. */
    public record TlsFiles(Path certChain, Path privateKey) {
    }

    public static ControlPlane start(Parts parts) {
        AdminAuth auth = new AdminAuth(parts.adminToken());
        AdminApi admin = new AdminApi(parts.deployments(), parts.store(), new CallsApi(parts.calls()),
                parts.maxArchiveBytes());
        HttpRouting.Builder routing = HttpRouting.builder()
                .any("/system", auth::filter)
                .any("/system/*", auth::filter);
        for (Route route : Route.values()) {
            if (route.plane() != Route.Plane.CONTROL) {
                continue;
            }
            Handler handler = route == Route.METRICS ? (req, res) -> metrics(parts.metrics(), res)
                    : admin.handler(route);
            route.methods().forEach(method -> routing.route(Method.create(method), route.path(), handler));
        }
        // A known path with another method: 405 naming the ones it takes (after every route, so they match first).
        Map<String, List<String>> allowed = new LinkedHashMap<>();
        for (Route route : Route.values()) {
            if (route.plane() == Route.Plane.CONTROL) {
                allowed.computeIfAbsent(route.path(), p -> new ArrayList<>()).addAll(route.methods());
            }
        }
        allowed.forEach((path, methods) -> routing.any(path, (req, res) -> {
            res.header(HeaderNames.ALLOW, String.join(", ", methods));
            HttpErrors.send(res, ErrorCode.METHOD_NOT_ALLOWED, req.prologue().method().text() + " is not allowed on "
                    + path + "; it takes " + String.join(", ", methods));
        }));
        routing.any((req, res) -> HttpErrors.send(res, ErrorCode.NOT_FOUND, "No route for "
                        + req.prologue().method().text() + " " + req.path().rawPath()))
                .error(Throwable.class, (req, res, t) -> {
                    LOG.log(System.Logger.Level.ERROR, "request " + req.prologue().method().text() + " "
                            + req.path().rawPath() + " failed", t);
                    if (!res.isSent()) {
                        HttpErrors.send(res, ErrorCode.INTERNAL_ERROR, "Isola failed to handle the request; see its "
                                + "log");
                    }
                });
        WebServerConfig.Builder builder = WebServer.builder();
        parts.tls().ifPresent(files -> builder.tls(tls(files)));
        WebServer server = builder
                .host(parts.host())
                .port(parts.port())
                .maxPayloadSize(-1)
                .idleConnectionTimeout(Duration.ofMinutes(5))
                .routing(routing)
                .build()
                .start();
        return new ControlPlane(server);
    }

    /** HTTPS from the operator's PEM files; a file that cannot be read or parsed fails the start, naming it. */
    private static Tls tls(TlsFiles files) {
        try {
            Keys keys = Keys.builder().pem(pem -> pem.key(Resource.create(files.privateKey()))
                    .certChain(Resource.create(files.certChain()))).build();
            PrivateKey key = keys.privateKey().orElseThrow(() -> new IsolaException("no private key in "
                    + files.privateKey()));
            List<X509Certificate> chain = keys.certChain();
            if (chain.isEmpty()) {
                throw new IsolaException("no certificate in " + files.certChain());
            }
            return Tls.builder().privateKey(key).privateKeyCertChain(chain).build();
        } catch (RuntimeException e) {
            throw new IsolaException("Failed to read the admin API's TLS files (adminTlsCert " + files.certChain()
                    + ", adminTlsKey " + files.privateKey() + "): " + e.getMessage(), e);
        }
    }

    /** Whether it serves HTTPS. */
    public boolean secure() {
        return server.hasTls();
    }

    /** The port it listens on (the configured one, or the one picked for port 0). */
    public int port() {
        return server.port();
    }

    private static void metrics(PrometheusMetrics metrics, ServerResponse res) throws IOException {
        res.header(HeaderNames.CONTENT_TYPE, metrics.contentType());
        try (OutputStream out = res.outputStream()) {
            metrics.write(out);
        }
    }

    @Override
    public void close() {
        server.stop();
    }
}
