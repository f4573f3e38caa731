package dev.isola.gateway;

import dev.isola.dispatch.Dispatcher;
import dev.isola.dispatch.Readiness;
import dev.isola.function.FunctionName;
import dev.isola.function.FunctionService;
import dev.isola.function.InvalidFunctionException;
import dev.isola.logs.FunctionLogs;
import dev.isola.metrics.PrometheusMetrics;
import dev.isola.store.Store;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.OutputStream;
import java.time.Duration;
import java.time.InstantSource;

/**
 * The HTTP front door: one port, one route table. Invocations ({@code /function/{name}/...}, {@code /invoke/...}) go
 * through {@link ReverseProxy}; {@code /system/...} is the admin API behind the token; {@code /healthz},
 * {@code /metrics} and the readiness callback {@code /_/ready/{id}/{nonce}} are open. Unknown routes get a JSON 404.
 */
public final class Gateway implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Gateway.class.getName());

    private final WebServer server;
    private final UpstreamPool upstreams;

    private Gateway(WebServer server, UpstreamPool upstreams) {
        this.server = server;
        this.upstreams = upstreams;
    }

    /** What the gateway serves; all collaborators are owned (and closed) by the caller. */
    public record Parts(Dispatcher dispatcher, Readiness readiness, FunctionService functions, FunctionLogs logs,
                        Store store, PrometheusMetrics metrics, String adminToken, long maxBodyBytes,
                        long maxArchiveBytes) {
    }

    public static Gateway start(String host, int port, Parts parts) {
        UpstreamPool upstreams = new UpstreamPool(parts.dispatcher().ticker());
        parts.dispatcher().onRetire(upstreams::forget);
        ReverseProxy proxy = new ReverseProxy(parts.dispatcher(), upstreams, parts.metrics(), parts.store(),
                InstantSource.system());
        AdminAuth auth = new AdminAuth(parts.adminToken());
        AdminApi admin = new AdminApi(parts.functions(), parts.dispatcher(), parts.logs(), parts.store(),
                parts.maxArchiveBytes());
        HttpRouting.Builder routing = HttpRouting.builder()
                .any("/function/*", (req, res) -> invoke(proxy, req, res, "/function/", parts.maxBodyBytes()))
                .get("/invoke/*", (req, res) -> invoke(proxy, req, res, "/invoke/", parts.maxBodyBytes()))
                .get("/healthz", (req, res) -> AdminApi.json(res, 200, java.util.Map.of("status", "ok")))
                .get("/metrics", (req, res) -> metrics(parts.metrics(), res))
                .route(m -> m == Method.POST || m == Method.GET, io.helidon.http.PathMatchers.create("/_/ready/{id}/{nonce}"),
                        (req, res) -> ready(parts.readiness(), req, res))
                .any("/system", auth::filter)
                .any("/system/*", auth::filter);
        admin.routes(routing);
        routing.any((req, res) -> ApiError.send(res, 404, "not_found", "No route for " + req.prologue().method().text()
                        + " " + req.path().rawPath()))
                .error(Throwable.class, (req, res, t) -> {
                    LOG.log(System.Logger.Level.ERROR, "request " + req.prologue().method().text() + " "
                            + req.path().rawPath() + " failed", t);
                    if (!res.isSent()) {
                        ApiError.send(res, 500, "internal_error", "Isola failed to handle the request; see its log");
                    }
                });
        WebServer server = WebServer.builder()
                .host(host)
                .port(port)
                .backlog(4096)
                .maxPayloadSize(-1)
                .idleConnectionTimeout(Duration.ofMinutes(5))
                .routing(routing)
                .build()
                .start();
        return new Gateway(server, upstreams);
    }

    public int port() {
        return server.port();
    }

    private static void invoke(ReverseProxy proxy, ServerRequest req, ServerResponse res, String prefix,
                               long maxBodyBytes) {
        String raw = req.path().rawPath();
        String rest = raw.substring(prefix.length());
        int slash = rest.indexOf('/');
        String rawName = slash < 0 ? rest : rest.substring(0, slash);
        String path = slash < 0 ? "/" : rest.substring(slash);
        FunctionName name;
        try {
            name = FunctionName.of(rawName);
        } catch (InvalidFunctionException e) {
            ApiError.send(res, 404, "function_not_found", "Function '" + rawName + "' is not deployed");
            return;
        }
        long declared = req.headers().contentLength().orElse(-1);
        if (declared > maxBodyBytes) {
            ApiError.send(res, 413, "body_too_large", "Request body of " + declared + " bytes exceeds the limit of "
                    + maxBodyBytes + " bytes (maxBodyBytes)");
            return;
        }
        String query = req.query().rawValue();
        proxy.forward(name, query.isEmpty() ? path : path + "?" + query, req, res);
    }

    private static void metrics(PrometheusMetrics metrics, ServerResponse res) throws java.io.IOException {
        res.header(HeaderNames.CONTENT_TYPE, metrics.contentType());
        try (OutputStream out = res.outputStream()) {
            metrics.write(out);
        }
    }

    private static void ready(Readiness readiness, ServerRequest req, ServerResponse res) {
        var params = req.path().pathParameters();
        if (readiness.signal(params.get("id"), params.get("nonce"))) {
            res.status(204).send();
        } else {
            ApiError.send(res, 404, "not_found", "No starting instance with this id and nonce");
        }
    }

    @Override
    public void close() {
        server.stop();
        upstreams.closeAll();
    }
}
