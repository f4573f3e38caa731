package dev.isola.admin;

import dev.isola.api.ErrorCode;
import dev.isola.api.Route;
import dev.isola.async.AsyncCall;
import dev.isola.async.AsyncCalls;
import dev.isola.async.CallId;
import dev.isola.async.CallResult;
import dev.isola.async.CallState;
import dev.isola.async.Header;
import dev.isola.function.FunctionName;
import dev.isola.function.InvalidFunctionException;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The admin API of asynchronous calls: one call with its result ({@code GET /system/calls/{id}}), a function's calls
 * ({@code GET /system/functions/{name}/calls?state=&limit=}, {@code state=failed} being its dead letters), and
 * cancelling a call that has not run ({@code DELETE /system/calls/{id}}).
 */
final class CallsApi {
    private static final int DEFAULT_LIMIT = 100;
    private static final int MAX_LIMIT = 10_000;

    private final AsyncCalls calls;

    CallsApi(AsyncCalls calls) {
        this.calls = calls;
    }

    Handler handler(Route route) {
        return switch (route) {
            case FUNCTION_CALLS -> this::list;
            case DESCRIBE_CALL -> this::describe;
            case CANCEL_CALL -> this::cancel;
            default -> throw new IllegalArgumentException(route + " is not a route of asynchronous calls");
        };
    }

    /** The function was deleted: its queued calls will not run. */
    void removed(FunctionName function) {
        calls.removed(function);
    }

    private void describe(ServerRequest req, ServerResponse res) {
        withCall(req, res, id -> {
            Optional<AsyncCall> call = calls.find(id);
            if (call.isEmpty()) {
                notFound(res, id.value());
                return;
            }
            AdminApi.json(res, 200, view(call.get(), true));
        });
    }

    private void cancel(ServerRequest req, ServerResponse res) {
        withCall(req, res, id -> {
            Optional<CallState> was = calls.cancel(id);
            if (was.isEmpty()) {
                notFound(res, id.value());
            } else if (was.get() == CallState.QUEUED) {
                res.status(204).send();
            } else {
                HttpErrors.send(res, ErrorCode.CALL_NOT_CANCELLABLE, "Call " + id + " is " + was.get().wireName()
                        + "; only a queued call can be cancelled");
            }
        });
    }

    private void list(ServerRequest req, ServerResponse res) {
        String raw = req.path().pathParameters().get("name");
        FunctionName name;
        try {
            name = FunctionName.of(raw);
        } catch (InvalidFunctionException e) {
            HttpErrors.send(res, ErrorCode.FUNCTION_NOT_FOUND, "Function '" + raw + "' is not deployed");
            return;
        }
        Optional<String> stateParam = req.query().first("state").asOptional();
        Optional<CallState> state = stateParam.flatMap(CallState::fromWire);
        if (stateParam.isPresent() && state.isEmpty()) {
            HttpErrors.send(res, ErrorCode.INVALID_PARAMETER, "state must be queued, running, succeeded or failed");
            return;
        }
        int limit;
        try {
            limit = req.query().first("limit").map(Integer::parseInt).orElse(DEFAULT_LIMIT);
        } catch (NumberFormatException e) {
            limit = 0;
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            HttpErrors.send(res, ErrorCode.INVALID_PARAMETER, "limit must be a number between 1 and " + MAX_LIMIT);
            return;
        }
        // Calls outlive their function (their outcome stays readable): a name without calls is an empty list.
        AdminApi.json(res, 200, calls.list(name, state, limit).stream().map(c -> view(c, false)).toList());
    }

    private static void withCall(ServerRequest req, ServerResponse res, Consumer<CallId> then) {
        String raw = req.path().pathParameters().get("id");
        Optional<CallId> id = CallId.parse(raw);
        if (id.isEmpty()) {
            notFound(res, raw);
            return;
        }
        then.accept(id.get());
    }

    private static void notFound(ServerResponse res, String id) {
        HttpErrors.send(res, ErrorCode.CALL_NOT_FOUND, "No asynchronous call '" + id + "' (it may have been "
                + "cancelled, or pruned after asyncRetention)");
    }

    /** A call as JSON; {@code withBody}: the result's headers and body too (one call, not a list). */
    static Map<String, Object> view(AsyncCall call, boolean withBody) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", call.id().value());
        m.put("function", call.function().value());
        m.put("method", call.method());
        m.put("path", call.target());
        m.put("state", call.state().wireName());
        m.put("attempts", call.attempts());
        m.put("submittedAt", call.submitted().toString());
        call.started().map(Instant::toString).ifPresent(t -> m.put("startedAt", t));
        call.finished().map(Instant::toString).ifPresent(t -> m.put("finishedAt", t));
        call.nextAttempt().filter(t -> call.state() == CallState.QUEUED).map(Instant::toString)
                .ifPresent(t -> m.put("nextAttemptAt", t));
        call.result().ifPresent(r -> m.put("result", result(r, withBody)));
        call.error().ifPresent(e -> m.put("error", e));
        call.callback().ifPresent(c -> m.put("callbackUrl", c.toString()));
        call.callbackOutcome().ifPresent(o -> m.put("callbackOutcome", o));
        return m;
    }

    private static Map<String, Object> result(CallResult r, boolean withBody) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", r.status());
        if (!withBody) {
            return m;
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (Header h : r.headers()) {
            headers.computeIfAbsent(h.name(), n -> new ArrayList<>()).add(h.value());
        }
        m.put("headers", headers);
        Optional<String> text = utf8(r.body());
        if (text.isPresent()) {
            m.put("body", text.get());
        } else {
            m.put("bodyBase64", Base64.getEncoder().encodeToString(r.body()));
        }
        m.put("bodyTruncated", r.truncated());
        return m;
    }

    /** The body as text when it is valid UTF-8, which most answers are; binary ones go as base64. */
    private static Optional<String> utf8(byte[] body) {
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }
}
