package dev.isola.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.isola.dispatch.Dispatcher;
import dev.isola.dispatch.InstanceView;
import dev.isola.function.DeployedFunction;
import dev.isola.function.FunctionName;
import dev.isola.function.FunctionService;
import dev.isola.function.InvalidFunctionException;
import dev.isola.function.ManifestParser;
import dev.isola.logs.FunctionLogs;
import dev.isola.store.Store;
import dev.isola.store.VersionRow;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The admin API under {@code /system}: deploy, list, describe, delete functions, their logs and all instances. Every
 * route requires the bearer token ({@link AdminAuth}); every error is an {@link ApiError} body.
 */
final class AdminApi {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int DEFAULT_TAIL = 200;
    private static final int MAX_TAIL = 10_000;

    private final FunctionService functions;
    private final Dispatcher dispatcher;
    private final FunctionLogs logs;
    private final Store store;
    private final long maxArchiveBytes;

    AdminApi(FunctionService functions, Dispatcher dispatcher, FunctionLogs logs, Store store, long maxArchiveBytes) {
        this.functions = functions;
        this.dispatcher = dispatcher;
        this.logs = logs;
        this.store = store;
        this.maxArchiveBytes = maxArchiveBytes;
    }

    void routes(HttpRules rules) {
        rules.put("/system/functions/{name}", this::deploy)
                .get("/system/functions", this::list)
                .get("/system/functions/{name}", this::describe)
                .delete("/system/functions/{name}", this::delete)
                .get("/system/functions/{name}/logs", this::logs)
                .get("/system/instances", (req, res) -> json(res, 200, dispatcher.instances().stream()
                        .map(AdminApi::instance).toList()));
    }

    private void deploy(ServerRequest req, ServerResponse res) {
        FunctionName name;
        try {
            name = FunctionName.of(req.path().pathParameters().get("name"));
        } catch (InvalidFunctionException e) {
            ApiError.send(res, 400, e.code(), e.getMessage());
            return;
        }
        long declared = req.headers().contentLength().orElse(-1);
        if (declared > maxArchiveBytes) {
            req.content().consume();
            ApiError.send(res, 413, "body_too_large", "Archive of " + declared + " bytes exceeds the limit of "
                    + maxArchiveBytes + " bytes (maxArchiveBytes)");
            return;
        }
        if (!req.content().hasEntity()) {
            ApiError.send(res, 400, "invalid_archive", "The request body must be a zip or tar.gz of the function "
                    + "directory");
            return;
        }
        try (InputStream body = new LimitedInputStream(req.content().inputStream(), maxArchiveBytes)) {
            dev.isola.function.DeployResult result = functions.deploy(name, body);
            dispatcher.deploy(result.function());
            json(res, result.created() ? 201 : 200, detail(result.function()));
        } catch (LimitedInputStream.LimitExceededException e) {
            ApiError.send(res, 413, "body_too_large", "Archive exceeds the limit of " + maxArchiveBytes
                    + " bytes (maxArchiveBytes)");
        } catch (InvalidFunctionException e) {
            ApiError.send(res, statusOf(e.code()), e.code(), e.getMessage());
        } catch (IOException e) {
            ApiError.send(res, 400, "invalid_archive", "Failed to read the archive: " + e.getMessage());
        }
    }

    static int statusOf(String code) {
        return switch (code) {
            case "archive_too_large", "body_too_large" -> 413;
            case "build_failed" -> 422;
            default -> 400;
        };
    }

    private void list(ServerRequest req, ServerResponse res) {
        json(res, 200, functions.list().stream().map(this::summary).toList());
    }

    private void describe(ServerRequest req, ServerResponse res) {
        withFunction(req, res, fn -> json(res, 200, detail(fn)));
    }

    private void delete(ServerRequest req, ServerResponse res) {
        withFunction(req, res, fn -> {
            dispatcher.remove(fn.name());
            functions.delete(fn.name());
            logs.delete(fn.name());
            res.status(204).send();
        });
    }

    private void logs(ServerRequest req, ServerResponse res) {
        withFunction(req, res, fn -> {
            int tail;
            try {
                tail = req.query().first("tail").map(Integer::parseInt).orElse(DEFAULT_TAIL);
            } catch (NumberFormatException e) {
                ApiError.send(res, 400, "invalid_parameter", "tail must be a number between 1 and " + MAX_TAIL);
                return;
            }
            if (tail < 1 || tail > MAX_TAIL) {
                ApiError.send(res, 400, "invalid_parameter", "tail must be a number between 1 and " + MAX_TAIL);
                return;
            }
            List<String> lines = logs.tail(fn.name(), tail);
            res.header(HeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
            res.send((lines.isEmpty() ? "" : String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
        });
    }

    private void withFunction(ServerRequest req, ServerResponse res, java.util.function.Consumer<DeployedFunction> then) {
        String raw = req.path().pathParameters().get("name");
        Optional<DeployedFunction> fn;
        try {
            fn = functions.current(FunctionName.of(raw));
        } catch (InvalidFunctionException e) {
            ApiError.send(res, 404, "function_not_found", "Function '" + raw + "' is not deployed");
            return;
        }
        if (fn.isEmpty()) {
            ApiError.send(res, 404, "function_not_found", "Function '" + raw + "' is not deployed");
            return;
        }
        then.accept(fn.get());
    }

    private Map<String, Object> summary(DeployedFunction fn) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", fn.name().value());
        m.put("version", fn.version());
        m.put("runtime", fn.manifest().runtime().wireName());
        m.put("backend", dispatcher.backend(fn.name()).orElse(fn.manifest().backend().orElse("")));
        m.put("deployedAt", fn.deployedAt().toString());
        m.put("instances", dispatcher.instances(fn.name()).size());
        return m;
    }

    private Map<String, Object> detail(DeployedFunction fn) {
        Map<String, Object> m = summary(fn);
        m.put("manifest", ManifestParser.toWire(fn.manifest()));
        m.put("versions", functions.versions(fn.name()).stream().map(AdminApi::version).toList());
        m.put("instances", dispatcher.instances(fn.name()).stream().map(AdminApi::instance).toList());
        m.put("invocations", store.invocationCount(fn.name()));
        return m;
    }

    private static Map<String, Object> version(VersionRow v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", v.version());
        m.put("deployedAt", v.deployedAt().toString());
        m.put("sourceSha256", v.sourceSha256());
        return m;
    }

    static Map<String, Object> instance(InstanceView v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", v.id());
        m.put("function", v.function());
        m.put("version", v.version());
        m.put("backend", v.backend());
        m.put("state", v.state().wireName());
        m.put("endpoint", v.endpoint());
        m.put("startedAt", v.startedAt().toString());
        m.put("inFlight", v.inFlight());
        m.put("served", v.served());
        m.put("coldStartMillis", Math.round(v.coldStartMillis() * 100) / 100.0);
        v.pid().ifPresent(pid -> m.put("pid", pid));
        return m;
    }

    static void json(ServerResponse res, int status, Object body) {
        try {
            byte[] bytes = JSON.writeValueAsBytes(body);
            res.status(status);
            res.header(HeaderNames.CONTENT_TYPE, "application/json");
            res.send(bytes);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a response body", e);
        }
    }
}
