package dev.isola.gateway;

import dev.isola.api.ErrorCode;
import dev.isola.api.Route;
import dev.isola.async.AsyncCalls;
import dev.isola.async.AttemptMark;
import dev.isola.async.Submission;
import dev.isola.dispatch.Readiness;
import dev.isola.function.FunctionName;
import dev.isola.function.InvalidFunctionException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * The edge's routes ({@link Route.Plane#EDGE} of the route table), matched by hand: this runs for every
 * request. Invocations ({@code ANY /function/{name}[/rest]}, {@code GET /invoke/{name}/rest}) are
 * proxied to an instance; asynchronous ones ({@code ANY /async-function/{name}[/rest]}) are stored and answered 202; the two endpoints instances and probes call ({@code /_/ready/{id}/{nonce}},
 * {@code /healthz}) are answered here; everything else (the admin API, {@code /metrics}, unknown routes) goes to the
 * control plane, which owns those answers, the JSON 404 included.
 */
final class EdgeRouter {
    private static final String FUNCTION = "/function/";
    private static final String ASYNC = "/async-function/";
    private static final String INVOKE = "/invoke/";
    private static final String READY = "/_/ready/";
    private static final AsciiString MARK = AsciiString.cached(AttemptMark.MARK);
    private static final AsciiString CALL_ID = AsciiString.cached(AttemptMark.CALL_ID);
    private static final AsciiString ATTEMPT = AsciiString.cached(AttemptMark.ATTEMPT);
    private static final byte[] HEALTHY = "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8);

    private final InvocationTarget.Services services;
    private final AsyncCalls async;
    private final Readiness readiness;
    private final BooleanSupplier draining;
    private final long maxBodyBytes;

    /** {@code draining}: whether the server is stopping (then {@code /healthz} answers 503, so balancers move away). */
    EdgeRouter(InvocationTarget.Services services, AsyncCalls async, Readiness readiness, BooleanSupplier draining,
               long maxBodyBytes) {
        this.services = services;
        this.async = async;
        this.readiness = readiness;
        this.draining = draining;
        this.maxBodyBytes = maxBodyBytes;
    }

    FrontHandler.Exchange route(FrontHandler front, HttpRequest request) {
        String uri = request.uri();
        int q = uri.indexOf('?');
        String path = q < 0 ? uri : uri.substring(0, q);
        Optional<Route> edge = edgeRoute(request.method(), path);
        if (edge.isEmpty()) {
            // The admin API and /metrics are never on the public port: they listen on their own (adminPort).
            return LocalReply.of(front, request, ApiError.response(ErrorCode.NOT_FOUND, "No route for "
                    + request.method() + " " + path + " on the public port, which serves /function/, /invoke/ and "
                    + "/healthz"));
        }
        if (unsupportedFraming(request)) {
            // Netty refuses a final coding other than chunked; one before it (gzip, chunked) it would drop silently,
            // and the instance would take the coded body for the body itself.
            return LocalReply.rejecting(front, request, ApiError.response(ErrorCode.BAD_REQUEST, "Transfer-Encoding "
                    + request.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING) + " is not supported: only chunked"));
        }
        if (request.method() == HttpMethod.CONNECT) {
            // Answered 2xx by a function, a CONNECT turns the pooled connection's codec into a tunnel for good: the
            // next call lent that connection got its answer as raw bytes (run twice, or failed and its instance
            // replaced).
            return LocalReply.rejecting(front, request, ApiError.response(ErrorCode.METHOD_NOT_ALLOWED,
                    "CONNECT is not proxied: functions are called with requests, not tunnels"));
        }
        if (draining.getAsBoolean() && edge.get() != Route.HEALTH && edge.get() != Route.READY) {
            // Checked here too, not only by the dispatcher: between the listener closing and the dispatcher
            // draining, a kept-alive connection's new call would otherwise still be served.
            return LocalReply.rejecting(front, request, ApiError.response(ErrorCode.UNAVAILABLE,
                    "Isola is shutting down and takes no new calls"));
        }
        return switch (edge.get()) {
            case INVOKE, INVOKE_PATH -> invocation(front, request, uri, FUNCTION.length());
            case INVOKE_HARNESS -> invocation(front, request, uri, INVOKE.length());
            case ASYNC_INVOKE, ASYNC_INVOKE_PATH -> asyncCall(front, request, uri);
            case HEALTH -> draining.getAsBoolean()
                    ? LocalReply.rejecting(front, request, ApiError.response(ErrorCode.UNAVAILABLE,
                    "Isola is shutting down; calls in flight are finishing"))
                    : LocalReply.of(front, request, ApiError.json(HttpResponseStatus.OK, HEALTHY));
            case READY -> LocalReply.of(front, request, ready(path.substring(READY.length())));
            default -> throw new IllegalStateException(edge.get() + " is not an edge route");
        };
    }

    /** A Transfer-Encoding other than one plain {@code chunked}, which is all the edge decodes. */
    private static boolean unsupportedFraming(HttpRequest request) {
        if (!request.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            return false; // nearly every request: no list made
        }
        List<String> codings = request.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING);
        return !codings.isEmpty() && !(codings.size() == 1 && codings.getFirst().strip().equalsIgnoreCase("chunked"));
    }

    /**
     * The edge route of a request, or empty when the control plane answers it. By hand, with no regex: this runs for
     * every request. HEAD goes where GET goes.
     */
    static Optional<Route> edgeRoute(HttpMethod method, String path) {
        if (path.startsWith(FUNCTION)) {
            return Optional.of(path.indexOf('/', FUNCTION.length()) < 0 ? Route.INVOKE : Route.INVOKE_PATH);
        }
        if (path.startsWith(ASYNC)) {
            return Optional.of(path.indexOf('/', ASYNC.length()) < 0 ? Route.ASYNC_INVOKE : Route.ASYNC_INVOKE_PATH);
        }
        boolean get = method == HttpMethod.GET || method == HttpMethod.HEAD;
        if (path.startsWith(INVOKE) && get) {
            return Optional.of(Route.INVOKE_HARNESS);
        }
        if (path.equals("/healthz") && get) {
            return Optional.of(Route.HEALTH);
        }
        if (path.startsWith(READY) && (method == HttpMethod.POST || method == HttpMethod.GET)) {
            return Optional.of(Route.READY);
        }
        return Optional.empty();
    }

    /** The function a call names and the rest of its URI ({@code /} at least, the query kept). */
    private record Called(String rawName, Optional<FunctionName> name, String rest) {
        static Called parse(String uri, int nameAt) {
            int end = nameAt;
            while (end < uri.length() && uri.charAt(end) != '/' && uri.charAt(end) != '?') {
                end++;
            }
            String rawName = uri.substring(nameAt, end);
            String rest = end == uri.length() ? "/" : uri.charAt(end) == '?' ? "/" + uri.substring(end)
                    : uri.substring(end);
            try {
                return new Called(rawName, Optional.of(FunctionName.of(rawName)), rest);
            } catch (InvalidFunctionException e) {
                return new Called(rawName, Optional.empty(), rest);
            }
        }
    }

    private FrontHandler.Exchange invocation(FrontHandler front, HttpRequest request, String uri, int nameAt) {
        Called called = Called.parse(uri, nameAt);
        Optional<FrontHandler.Exchange> refused = refuseHead(front, request, called,
                new BodyLimit(maxBodyBytes, "maxBodyBytes"));
        if (refused.isPresent()) {
            return refused.get();
        }
        dropForgedAttemptHeaders(request.headers());
        return new ProxyExchange(front, request, called.rest(), new InvocationTarget(services, called.name().get()),
                maxBodyBytes);
    }

    /**
     * An asynchronous call's attempt id and number reach the function only on the platform's own attempts (they
     * carry its mark); on any other call they are a caller's forgery, and go. The mark never reaches a function.
     */
    private void dropForgedAttemptHeaders(HttpHeaders headers) {
        if (!headers.contains(MARK) && !headers.contains(CALL_ID) && !headers.contains(ATTEMPT)) {
            return; // nearly every call: three lookups, nothing made
        }
        if (!async.attemptMark().ours(headers.get(MARK))) {
            headers.remove(CALL_ID);
            headers.remove(ATTEMPT);
        }
        headers.remove(MARK);
    }

    /**
     * {@code /async-function/{name}[/rest]}: refused at once (unknown function, callback not allowed, full queue)
     * before any body is read; else the body is read and the call stored.
     */
    private FrontHandler.Exchange asyncCall(FrontHandler front, HttpRequest request, String uri) {
        Called called = Called.parse(uri, ASYNC.length());
        BodyLimit limit = BodyLimit.lower(new BodyLimit(maxBodyBytes, "maxBodyBytes"),
                new BodyLimit(async.maxBodyBytes(), "asyncMaxBodyBytes"));
        Optional<FrontHandler.Exchange> refused = refuseHead(front, request, called, limit);
        if (refused.isPresent()) {
            return refused.get();
        }
        FunctionName name = called.name().get();
        if (!validTarget(called.rest())) {
            return LocalReply.of(front, request, ApiError.response(ErrorCode.BAD_REQUEST, "The path after the "
                    + "function's name is not a valid URI reference"));
        }
        Optional<String> callback = Optional.ofNullable(request.headers().get(AsyncSubmission.CALLBACK_URL));
        Optional<Submission> refusal = async.refusal(name, callback,
                request.headers().contains(AsyncSubmission.IDEMPOTENCY_KEY));
        if (refusal.isPresent()) {
            return LocalReply.of(front, request, AsyncSubmission.response(name, refusal.get()));
        }
        return new AsyncSubmission(front, request, name, called.rest(), async, limit);
    }

    /** A stored call is replayed later by a client that parses its target strictly. */
    private static boolean validTarget(String rest) {
        try {
            URI.create(rest);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** What is wrong with a call's head whatever serves it: a name that is no function's, a body declared too large. */
    private Optional<FrontHandler.Exchange> refuseHead(FrontHandler front, HttpRequest request, Called called,
                                                       BodyLimit limit) {
        if (called.name().isEmpty()) {
            return Optional.of(LocalReply.of(front, request, ApiError.response(ErrorCode.FUNCTION_NOT_FOUND,
                    "Function '" + called.rawName() + "' is not deployed")));
        }
        long declared = HttpUtil.getContentLength(request, -1L);
        if (declared > limit.bytes()) {
            return Optional.of(LocalReply.rejecting(front, request, ApiError.response(ErrorCode.BODY_TOO_LARGE,
                    limit.declaredOver(declared))));
        }
        return Optional.empty();
    }

    private FullHttpResponse ready(String idAndNonce) {
        int slash = idAndNonce.indexOf('/');
        if (slash > 0 && idAndNonce.indexOf('/', slash + 1) < 0
                && readiness.signal(idAndNonce.substring(0, slash), idAndNonce.substring(slash + 1))) {
            return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT);
        }
        return ApiError.response(ErrorCode.NOT_FOUND, "No starting instance with this id and nonce");
    }
}
