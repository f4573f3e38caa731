package dev.isola.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.isola.IsolaException;
import dev.isola.api.ErrorCode;
import dev.isola.api.Route;
import dev.isola.dispatch.InstancePage;
import dev.isola.dispatch.InstanceState;
import dev.isola.dispatch.InstanceView;
import dev.isola.function.DeployResult;
import dev.isola.function.DeployedFunction;
import dev.isola.function.FunctionName;
import dev.isola.function.InvalidFunctionException;
import dev.isola.function.ManifestParser;
import dev.isola.logs.LogFollower;
import dev.isola.store.Store;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The admin API under {@code /system}: deploy, list, describe, delete functions, their logs and all instances. Every
 * route requires the bearer token ({@link AdminAuth}); every error is the API's error body.
 */
final class AdminApi {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A rollback's or a traffic split's body: a few dozen bytes; the admin server itself takes archives of any size. */
    private static final int MAX_JSON_BODY = 64 << 10;
    private static final int DEFAULT_TAIL = 200;
    private static final int MAX_TAIL = 10_000;
    /** An age before now in {@code since}: {@code 30s}, {@code 10m}, {@code 2h}. */
    private static final Pattern AGE = Pattern.compile("(\\d{1,9})([smh])");
    private static final int DEFAULT_PAGE = 1_000;
    private static final int DEFAULT_INVOCATIONS = 100;
    /** How long an invocation listing waits for records still queued: a saturated CPU gives their writer little time. */
    private static final Duration LISTING_FLUSH = Duration.ofSeconds(2);
    private static final Duration FOLLOW_PING = Duration.ofSeconds(15);
    private static final int MAX_PAGE = 10_000;
    /** How many of a function's instances its detail lists; {@code /system/instances?function=} lists them all. */
    static final int DETAIL_INSTANCES = 100;

    private final Deployments deployments;
    private final Store store;
    private final CallsApi calls;
    private final long maxArchiveBytes;

    AdminApi(Deployments deployments, Store store, CallsApi calls, long maxArchiveBytes) {
        this.deployments = deployments;
        this.store = store;
        this.calls = calls;
        this.maxArchiveBytes = maxArchiveBytes;
    }

    /** The handler of one {@code /system} route of the table. */
    Handler handler(Route route) {
        return switch (route) {
            case LIST_FUNCTIONS -> this::list;
            case DEPLOY_FUNCTION -> this::deploy;
            case DESCRIBE_FUNCTION -> this::describe;
            case DELETE_FUNCTION -> this::delete;
            case FUNCTION_LOGS -> this::logs;
            case FUNCTION_INVOCATIONS -> this::invocations;
            case FUNCTION_VERSIONS -> this::versions;
            case FUNCTION_ROLLBACK -> this::rollback;
            case FUNCTION_TRAFFIC -> this::traffic;
            case LIST_INSTANCES -> this::instances;
            case FUNCTION_CALLS, DESCRIBE_CALL, CANCEL_CALL -> calls.handler(route);
            case INVOKE, INVOKE_PATH, INVOKE_HARNESS, ASYNC_INVOKE, ASYNC_INVOKE_PATH, HEALTH, READY, METRICS ->
                    throw new IllegalArgumentException(route + " is not an admin route");
        };
    }

    private void deploy(ServerRequest req, ServerResponse res) {
        FunctionName name;
        try {
            name = FunctionName.of(req.path().pathParameters().get("name"));
        } catch (InvalidFunctionException e) {
            HttpErrors.send(res, 400, code(e), e.getMessage());
            return;
        }
        long declared = req.headers().contentLength().orElse(-1);
        if (declared > maxArchiveBytes) {
            req.content().consume();
            HttpErrors.send(res, ErrorCode.BODY_TOO_LARGE, "Archive of " + declared + " bytes exceeds the limit of "
                    + maxArchiveBytes + " bytes (maxArchiveBytes)");
            return;
        }
        if (!req.content().hasEntity()) {
            HttpErrors.send(res, ErrorCode.INVALID_ARCHIVE, "The request body must be a zip or tar.gz of the "
                    + "function directory");
            return;
        }
        Optional<String> activate = req.query().first("activate").asOptional();
        if (activate.isPresent() && !activate.get().equals("true") && !activate.get().equals("false")) {
            req.content().consume();
            HttpErrors.send(res, ErrorCode.INVALID_PARAMETER, "activate must be true or false");
            return;
        }
        try (InputStream body = new LimitedInputStream(req.content().inputStream(), maxArchiveBytes)) {
            DeployResult result = deployments.deploy(name, body, !activate.equals(Optional.of("false")));
            json(res, result.created() ? 201 : 200, detail(result.function()));
        } catch (UncheckedIOException e) { // reading the upload failed: the limit, or the client
            archiveUnread(res, e.getCause());
        } catch (InvalidFunctionException e) {
            HttpErrors.send(res, code(e), e.getMessage());
        } catch (IOException e) {
            archiveUnread(res, e);
        }
    }

    private void archiveUnread(ServerResponse res, IOException cause) {
        if (cause instanceof LimitedInputStream.LimitExceededException) {
            // A chunked upload: no Content-Length to refuse up front.
            HttpErrors.send(res, ErrorCode.BODY_TOO_LARGE, "Archive exceeds the limit of " + maxArchiveBytes
                    + " bytes (maxArchiveBytes)");
        } else {
            HttpErrors.send(res, ErrorCode.INVALID_ARCHIVE, "Failed to read the archive: " + cause.getMessage());
        }
    }

    /** The code of a rejected deploy; its status comes with it (413 for sizes, 422 for builds, 400 otherwise). */
    static ErrorCode code(InvalidFunctionException e) {
        return ErrorCode.fromWire(e.code()).orElse(ErrorCode.INVALID_MANIFEST);
    }

    private void list(ServerRequest req, ServerResponse res) {
        json(res, 200, deployments.functions().list().stream().map(this::summary).toList());
    }

    private void versions(ServerRequest req, ServerResponse res) {
        withFunction(req, res, fn -> json(res, 200, versionsOf(fn.name())));
    }

    /** {@code POST .../rollback}, body {@code {"version": N}} or none (the previously active version). */
    private void rollback(ServerRequest req, ServerResponse res) {
        withFunction(req, res, fn -> {
            OptionalInt version;
            try {
                JsonNode body = jsonBody(req);
                // A typo ({"versoin": 3}) must not roll back to the previous version unasked.
                if (!body.isMissingNode() && (!body.isObject() || body.size() > (body.has("version") ? 1 : 0))) {
                    throw new IOException("unknown fields or not an object");
                }
                JsonNode field = body.path("version");
                if (!field.isMissingNode() && !wholeNumber(field)) {
                    throw new IOException("version is not a whole number");
                }
                version = field.isMissingNode() ? OptionalInt.empty() : OptionalInt.of(field.intValue());
            } catch (LimitedInputStream.LimitExceededException e) {
                tooLarge(res);
                return;
            } catch (IOException e) {
                HttpErrors.send(res, ErrorCode.INVALID_PARAMETER, "The body must be empty or {\"version\": N}: "
                        + e.getMessage());
                return;
            }
            try {
                Optional<DeployedFunction> active = deployments.activate(fn.name(), version);
                if (active.isEmpty()) {
                    HttpErrors.send(res, ErrorCode.FUNCTION_NOT_FOUND, "Function '" + fn.name() + "' is not deployed");
                    return;
                }
                json(res, 200, detail(active.get()));
            } catch (InvalidFunctionException e) {
                HttpErrors.send(res, code(e), e.getMessage());
            }
        });
    }

    /** {@code PUT .../traffic}, body {@code {"weights": {"4": 90, "5": 10}}}: answers the versions, with weights. */
    private void traffic(ServerRequest req, ServerResponse res) {
        withFunction(req, res, fn -> {
            Map<Integer, Integer> weights = new LinkedHashMap<>();
            try {
                JsonNode given = jsonBody(req).path("weights");
                if (!given.isObject() || given.isEmpty()) {
                    throw new IOException("no weights");
                }
                for (var e : given.properties()) {
                    if (!wholeNumber(e.getValue()) || !e.getKey().matches("[1-9][0-9]{0,8}")) {
                        throw new IOException("'" + e.getKey() + "' is not a version with a whole-number weight");
                    }
                    weights.put(Integer.parseInt(e.getKey()), e.getValue().intValue());
                }
            } catch (LimitedInputStream.LimitExceededException e) {
                tooLarge(res);
                return;
            } catch (IOException e) {
                HttpErrors.send(res, ErrorCode.INVALID_PARAMETER, "The body must be {\"weights\": {\"<version>\": "
                        + "<percent>, ...}}: " + e.getMessage());
                return;
            }
            try {
                if (deployments.split(fn.name(), weights).isEmpty()) {
                    HttpErrors.send(res, ErrorCode.FUNCTION_NOT_FOUND, "Function '" + fn.name() + "' is not deployed");
                    return;
                }
                json(res, 200, versionsOf(fn.name()));
            } catch (InvalidFunctionException e) {
                HttpErrors.send(res, code(e), e.getMessage());
            }
        });
    }

    /** A small JSON body, read to at most {@link #MAX_JSON_BODY} bytes; a missing node when there is none. */
    private static JsonNode jsonBody(ServerRequest req) throws IOException {
        if (!req.content().hasEntity()) {
            return MissingNode.getInstance();
        }
        try (InputStream in = new LimitedInputStream(req.content().inputStream(), MAX_JSON_BODY)) {
            JsonNode body = JSON.readTree(in);
            return body == null ? MissingNode.getInstance() : body; // an empty body
        }
    }

    private static void tooLarge(ServerResponse res) {
        HttpErrors.send(res, ErrorCode.BODY_TOO_LARGE, "The body exceeds " + MAX_JSON_BODY + " bytes");
    }

    /** An int as JSON writes it: {@code canConvertToInt} alone takes 2.7 (and cuts it to 2). */
    private static boolean wholeNumber(JsonNode n) {
        return n.isIntegralNumber() && n.canConvertToInt();
    }

    private void describe(ServerRequest req, ServerResponse res) {
        withFunction(req, res, fn -> json(res, 200, detail(fn)));
    }

    private void delete(ServerRequest req, ServerResponse res) {
        withFunction(req, res, fn -> {
            calls.removed(fn.name()); // first: a queued call must not start while the delete waits for calls in flight
            deployments.remove(fn);
            res.status(204).send();
        });
    }

    /**
     * {@code GET .../logs?tail=N[&since=T][&follow=true]}: the newest lines (at most N, written at or after T), or with
     * {@code follow} those lines and then every new one as it is written. T is an instant ({@code
     * 2026-12-04T19:00:00Z}) or an age ({@code 10m}, {@code 30s}, {@code 2h}).
     */
    private void logs(ServerRequest req, ServerResponse res) {
        withFunction(req, res, fn -> {
            Optional<Integer> tail = tail(req);
            if (tail.isEmpty()) {
                HttpErrors.send(res, ErrorCode.INVALID_PARAMETER, "tail must be a number between 1 and " + MAX_TAIL);
                return;
            }
            Optional<String> sinceParam = req.query().first("since").asOptional();
            Optional<Instant> since = sinceParam.flatMap(AdminApi::since);
            if (sinceParam.isPresent() && since.isEmpty()) {
                HttpErrors.send(res, ErrorCode.INVALID_PARAMETER, "since must be an instant such as "
                        + "2026-12-04T19:00:00Z or an age such as 30s, 10m or 2h");
                return;
            }
            Optional<String> follow = req.query().first("follow").asOptional();
            if (follow.isPresent() && !follow.get().equals("true") && !follow.get().equals("false")) {
                HttpErrors.send(res, ErrorCode.INVALID_PARAMETER, "follow must be true or false");
                return;
            }
            if (follow.equals(Optional.of("true"))) {
                follow(fn, since.map(t -> tail.get()), since, res);
                return;
            }
            List<String> lines = deployments.logs().tail(fn.name(), tail.get(), since);
            res.header(HeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
            res.send((lines.isEmpty() ? "" : String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
        });
    }

    /** An instant, or an age ({@code 30s}, {@code 10m}, {@code 2h}) before now. */
    private static Optional<Instant> since(String text) {
        try {
            return Optional.of(Instant.parse(text));
        } catch (DateTimeParseException e) {
            Matcher age = AGE.matcher(text);
            if (!age.matches()) {
                return Optional.empty();
            }
            long n = Long.parseLong(age.group(1));
            Duration d = switch (age.group(2)) {
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            };
            return Optional.of(Instant.now().minus(d));
        }
    }

    /**
     * One page of the live instances, ordered by id, optionally of one function: a node holds thousands, and one
     * answer with all of them would be megabytes built while the dispatcher's view is copied. The next page, when
     * there is one, is in a {@code Link: <...>; rel="next"} header (RFC 8288), so the body stays a plain array.
     */
    private void instances(ServerRequest req, ServerResponse res) {
        Optional<Integer> limit = number(req, "limit", DEFAULT_PAGE, MAX_PAGE);
        if (limit.isEmpty()) {
            HttpErrors.send(res, ErrorCode.INVALID_PARAMETER, "limit must be a number between 1 and " + MAX_PAGE);
            return;
        }
        String after = req.query().first("after").orElse("");
        Optional<String> function = req.query().first("function").asOptional();
        Optional<FunctionName> name;
        try {
            name = function.map(FunctionName::of);
        } catch (InvalidFunctionException e) {
            json(res, 200, List.of()); // no function has that name, so none of its instances lives
            return;
        }
        InstancePage page = deployments.dispatcher().page(name, after, limit.get());
        if (page.more()) {
            res.header(HeaderNames.LINK, "</system/instances?limit=" + limit.get() + "&after="
                    + page.instances().getLast().id() + function.map(f -> "&function=" + f).orElse("")
                    + ">; rel=\"next\"");
        }
        json(res, 200, page.instances().stream().map(AdminApi::instance).toList());
    }

    /**
     * Streams the function's new log lines as server-sent events ({@code data: <time> <instance> <text>}) until the
     * client goes, with a comment every {@link #FOLLOW_PING} so that a client gone while the function is quiet is
     * noticed (the write fails) and proxies keep the stream open. The handler's virtual thread waits parked, holding
     * no carrier; the follower is bounded ({@link LogFollower}). With {@code replay} (lines at most) and {@code since}
     * the stream starts with the lines already written since then: the follower is made first, so that no line
     * falls between the two, and a line both read and followed is sent once.
     */
    private void follow(DeployedFunction fn, Optional<Integer> replay, Optional<Instant> since, ServerResponse res) {
        LogFollower follower;
        try {
            follower = deployments.logs().follow(fn.name());
        } catch (IsolaException e) {
            HttpErrors.send(res, ErrorCode.SATURATED, e.getMessage());
            return;
        }
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        try (follower; OutputStream out = res.outputStream()) {
            out.write(": following\n\n".getBytes(StandardCharsets.UTF_8));
            Set<String> replayed = new HashSet<>();
            for (String line : replay.map(n -> deployments.logs().tail(fn.name(), n, since)).orElse(List.of())) {
                replayed.add(line);
                out.write(("data: " + line + "\n\n").getBytes(StandardCharsets.UTF_8));
            }
            out.flush();
            while (true) {
                Optional<String> line = follower.next(FOLLOW_PING);
                if (line.isPresent() && !replayed.isEmpty() && replayed.remove(line.get())) {
                    continue; // read with the replay already
                }
                out.write((line.map(l -> "data: " + l + "\n\n").orElse(": ping\n\n"))
                        .getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (IOException | UncheckedIOException e) {
            // the client went away: that ends a follow
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the server stops
        }
    }

    /** The function's newest invocation records, newest first: what the store keeps of every call. */
    private void invocations(ServerRequest req, ServerResponse res) {
        withFunction(req, res, fn -> {
            Optional<Integer> limit = number(req, "limit", DEFAULT_INVOCATIONS, MAX_PAGE);
            if (limit.isEmpty()) {
                HttpErrors.send(res, ErrorCode.INVALID_PARAMETER, "limit must be a number between 1 and " + MAX_PAGE);
                return;
            }
            // What was answered before this request is listed, unless the writer is far behind (a saturated CPU).
            store.flush(LISTING_FLUSH);
            json(res, 200, store.recentInvocations(fn.name(), limit.get()).stream().map(r -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("start", r.start().toString());
                m.put("durationMicros", r.durationMicros());
                m.put("coldStart", r.coldStart());
                m.put("status", r.status());
                m.put("backend", r.backend());
                m.put("instance", r.instanceId());
                return m;
            }).toList());
        });
    }

    private static Optional<Integer> tail(ServerRequest req) {
        return number(req, "tail", DEFAULT_TAIL, MAX_TAIL);
    }

    /** Query parameter {@code name}, 1 to {@code max}; {@code absent} if not given; empty if malformed. */
    private static Optional<Integer> number(ServerRequest req, String name, int absent, int max) {
        try {
            int value = req.query().first(name).map(Integer::parseInt).orElse(absent);
            return value >= 1 && value <= max ? Optional.of(value) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private void withFunction(ServerRequest req, ServerResponse res, Consumer<DeployedFunction> then) {
        String raw = req.path().pathParameters().get("name");
        Optional<DeployedFunction> fn;
        try {
            fn = deployments.current(FunctionName.of(raw));
        } catch (InvalidFunctionException e) {
            fn = Optional.empty();
        }
        if (fn.isEmpty()) {
            HttpErrors.send(res, ErrorCode.FUNCTION_NOT_FOUND, "Function '" + raw + "' is not deployed");
            return;
        }
        then.accept(fn.get());
    }

    private Map<String, Object> summary(DeployedFunction fn) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", fn.name().value());
        m.put("version", fn.version());
        m.put("runtime", fn.manifest().runtime().wireName());
        m.put("backend", deployments.dispatcher().backend(fn.name()).orElse(fn.manifest().backend().orElse("")));
        m.put("deployedAt", fn.deployedAt().toString());
        m.put("instances", deployments.dispatcher().instanceCount(fn.name()));
        return m;
    }

    private Map<String, Object> detail(DeployedFunction fn) {
        Map<String, Object> m = summary(fn);
        m.put("manifest", ManifestParser.toWire(fn.manifest()));
        m.put("versions", versionsOf(fn.name()));
        // The first instances by id, not all: a function may hold thousands; the listing pages through the rest.
        m.put("instances", deployments.dispatcher().page(Optional.of(fn.name()), "", DETAIL_INSTANCES).instances()
                .stream().map(AdminApi::instance).toList());
        m.put("instanceCount", deployments.dispatcher().instanceCount(fn.name()));
        m.put("invocations", store.invocationCount(fn.name()));
        return m;
    }

    /**
     * Every stored version of {@code name}, oldest first: the active one and the one before it marked, and each
     * one's share of new calls.
     */
    private List<Map<String, Object>> versionsOf(FunctionName name) {
        int active = deployments.current(name).map(DeployedFunction::version).orElse(0);
        OptionalInt previous = deployments.functions().previous(name);
        Map<Integer, Integer> weights = new HashMap<>();
        deployments.functions().routing(name).forEach(s -> weights.put(s.function().version(), s.weight()));
        return deployments.functions().versions(name).stream().map(v -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("version", v.version());
            m.put("deployedAt", v.deployedAt().toString());
            m.put("sourceSha256", v.sourceSha256());
            m.put("active", v.version() == active);
            m.put("previous", previous.isPresent() && previous.getAsInt() == v.version());
            m.put("weight", weights.getOrDefault(v.version(), 0));
            return m;
        }).toList();
    }

    static Map<String, Object> instance(InstanceView v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", v.id());
        m.put("function", v.function());
        m.put("version", v.version());
        m.put("backend", v.backend());
        m.put("state", v.state().wireName());
        m.put("start", v.start());
        m.put("endpoint", v.endpoint());
        m.put("startedAt", v.startedAt().toString());
        m.put("inFlight", v.inFlight());
        m.put("served", v.served());
        if (v.state() != InstanceState.STARTING && v.state() != InstanceState.STANDBY) {
            m.put("coldStartMillis", Math.round(v.coldStartMillis() * 100) / 100.0); // none until it is ready
        }
        v.pid().ifPresent(pid -> m.put("pid", pid));
        return m;
    }

    static void json(ServerResponse res, int status, Object body) {
        try {
            byte[] bytes = JSON.writeValueAsBytes(body);
            res.status(status);
            res.header(HeaderNames.CONTENT_TYPE, "application/json");
            res.send(bytes);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a response body", e);
        }
    }
}
