package dev.isola.gateway;

import dev.isola.dispatch.Acquisition;
import dev.isola.dispatch.Dispatcher;
import dev.isola.dispatch.Lease;
import dev.isola.dispatch.Ticker;
import dev.isola.function.FunctionName;
import dev.isola.metrics.Metrics;
import dev.isola.store.InvocationRecord;
import dev.isola.store.Store;
import io.helidon.http.Header;
import io.helidon.http.Method;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.TimeUnit;

/**
 * Forwards one invocation to an instance and streams the answer back.
 *
 * <p>Per request: acquire a lease from the dispatcher (the only seam to the sandboxes), borrow a keep-alive connection
 * to that instance, write the request head in one write, stream the request body, read the response head, and stream
 * the body with the instance's framing (Content-Length passes through; chunked is decoded and re-chunked by the
 * server). Nothing is buffered whole, so a 50 MiB response costs one 64 KiB buffer.
 *
 * <p>Failures: a pooled connection the instance closed while idle fails before any response byte; the request is then
 * retried once on a fresh connection when that is safe (no request body sent yet). A connection refused or reset
 * with no response releases the lease as unhealthy — the pool checks whether the instance died and replaces it — and
 * the caller gets a 502 that says what happened. Once response bytes went out, the only honest signal left is to
 * abort the client connection.
 */
final class ReverseProxy {
    /** Copy buffer for large bodies; allocated only when a body needs streaming. */
    private static final int BUFFER = 64 * 1024;
    /** Responses up to this size are read whole and sent in one write (most function answers are tiny). */
    private static final int SMALL_BODY = 16 * 1024;

    private final Dispatcher dispatcher;
    private final UpstreamPool upstreams;
    private final Metrics metrics;
    private final Store store;
    private final Ticker ticker;
    private final InstantSource wallClock;

    ReverseProxy(Dispatcher dispatcher, UpstreamPool upstreams, Metrics metrics, Store store, InstantSource wallClock) {
        this.dispatcher = dispatcher;
        this.upstreams = upstreams;
        this.metrics = metrics;
        this.store = store;
        this.ticker = dispatcher.ticker();
        this.wallClock = wallClock;
    }

    void forward(FunctionName name, String pathAndQuery, ServerRequest req, ServerResponse res) {
        long begin = ticker.nanos();
        var started = wallClock.instant();
        Acquisition acquisition = dispatcher.acquire(name);
        Lease lease;
        switch (acquisition) {
            case Acquisition.Acquired a -> lease = a.lease();
            case Acquisition.NotFound n -> {
                ApiError.send(res, 404, "function_not_found", "Function '" + n.name() + "' is not deployed");
                return;
            }
            case Acquisition.Saturated s -> {
                ApiError.send(res, 429, "saturated", s.message());
                record(name, started, begin, false, 429, "-", "-");
                return;
            }
            case Acquisition.StartFailed f -> {
                ApiError.send(res, 502, "start_failed", f.message());
                record(name, started, begin, true, 502, dispatcher.backend(name).orElse("-"), "-");
                return;
            }
            case Acquisition.TimedOut t -> {
                ApiError.send(res, 504, "timeout", t.message());
                record(name, started, begin, false, 504, dispatcher.backend(name).orElse("-"), "-");
                return;
            }
        }
        metrics.inFlight(name.value(), lease.backend(), 1);
        int status = 502;
        boolean healthy = false;
        try {
            status = exchange(name, pathAndQuery, req, res, lease);
            healthy = true;
        } catch (InstanceFailure e) {
            status = e.status;
            if (!res.isSent()) {
                ApiError.send(res, e.status, e.code, e.getMessage());
            }
            healthy = e.status == 504;
        } finally {
            lease.release(healthy);
            metrics.inFlight(name.value(), lease.backend(), -1);
            record(name, started, begin, lease.coldStart(), status, lease.backend(), lease.instanceId());
        }
    }

    private void record(FunctionName name, java.time.Instant started, long begin, boolean cold, int status,
                        String backend, String instance) {
        long took = ticker.nanos() - begin;
        metrics.invoked(name.value(), backend, cold, status, took);
        store.record(new InvocationRecord(name, started, TimeUnit.NANOSECONDS.toMicros(took), cold, status, backend,
                instance));
    }

    /** Runs the HTTP exchange; returns the status sent. */
    private int exchange(FunctionName name, String pathAndQuery, ServerRequest req, ServerResponse res, Lease lease) {
        Duration timeout = dispatcher.timeout(name).orElse(Duration.ofSeconds(30));
        boolean hasBody = req.content().hasEntity();
        byte[] head = requestHead(req, pathAndQuery, lease, hasBody);
        UpstreamConnection conn = null;
        try {
            UpstreamPool.Borrowed borrowed = upstreams.borrow(lease.instanceId(), lease.endpoint());
            conn = borrowed.connection();
            UpstreamResponse response;
            try {
                response = send(conn, head, req, hasBody, timeout);
            } catch (IOException e) {
                if (!borrowed.reused() || hasBody || e instanceof SocketTimeoutException) {
                    throw e;
                }
                // The instance closed this idle connection; nothing was consumed, so one retry is safe.
                conn.close();
                conn = upstreams.connectFresh(lease.endpoint());
                response = send(conn, head, req, false, timeout);
            }
            boolean reusable = relay(response, req, res, conn, lease);
            if (reusable) {
                upstreams.giveBack(lease.instanceId(), conn);
                conn = null;
            }
            return response.status;
        } catch (SocketTimeoutException e) {
            throw new InstanceFailure(504, "timeout", "fn=" + name + " inst=" + lease.instanceId()
                    + ": no response within the function's timeout of " + timeout.toMillis() + " ms");
        } catch (IOException | IllegalStateException e) {
            throw new InstanceFailure(502, "instance_failed", "fn=" + name + " inst=" + lease.instanceId()
                    + ": the function failed to answer (" + lease.exitReason().map(r -> "it " + r)
                    .orElseGet(() -> describe(e)) + ")");
        } finally {
            if (conn != null) {
                conn.close();
            }
        }
    }

    private static String describe(Exception e) {
        return e instanceof EOFException ? "it closed the connection; it may have crashed or run out of memory"
                : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static UpstreamResponse send(UpstreamConnection conn, byte[] head, ServerRequest req, boolean hasBody,
                                         Duration timeout) throws IOException {
        conn.readTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        OutputStream out = conn.out();
        out.write(head);
        if (hasBody) {
            InputStream body = req.content().inputStream();
            byte[] buffer = new byte[BUFFER];
            long declared = req.headers().contentLength().orElse(-1);
            if (declared >= 0) {
                Streams.copyExactly(body, out, declared, buffer);
            } else {
                ChunkedBody.encode(body, out, buffer);
            }
        }
        out.flush();
        UpstreamResponse response = conn.readResponseHead();
        while (response.status == 100) {
            response = conn.readResponseHead();
        }
        return response;
    }

    /** Streams the response to the client; returns whether the upstream connection can be reused. */
    private static boolean relay(UpstreamResponse response, ServerRequest req, ServerResponse res,
                                 UpstreamConnection conn, Lease lease) throws IOException {
        res.status(response.status);
        for (String[] h : response.headers) {
            res.header(ResponseHeaders.name(h[0]), h[1]);
        }
        res.header(ResponseHeaders.INSTANCE, lease.instanceId());
        res.header(lease.coldStart() ? ResponseHeaders.COLD : ResponseHeaders.WARM);
        boolean head = req.prologue().method() == Method.HEAD;
        if (head || response.bodyless()) {
            if (response.contentLength >= 0) {
                res.header("Content-Length", Long.toString(response.contentLength));
            }
            res.send();
            return !response.connectionClose;
        }
        if (response.contentLength >= 0 && response.contentLength <= SMALL_BODY) {
            byte[] body = conn.in().readNBytes((int) response.contentLength);
            if (body.length != response.contentLength) {
                throw new EOFException("body ended " + (response.contentLength - body.length) + " bytes early");
            }
            res.send(body);
            return !response.connectionClose;
        }
        byte[] buffer = new byte[BUFFER];
        if (response.contentLength >= 0) {
            res.contentLength(response.contentLength);
            try (OutputStream out = res.outputStream()) {
                Streams.copyExactly(conn.in(), out, response.contentLength, buffer);
            }
            return !response.connectionClose;
        }
        try (OutputStream out = res.outputStream()) {
            if (response.chunked) {
                ChunkedBody.decode(conn, out, buffer);
                return !response.connectionClose;
            }
            Streams.copyAll(conn.in(), out, buffer);
            return false;
        }
    }

    private static byte[] requestHead(ServerRequest req, String pathAndQuery, Lease lease, boolean hasBody) {
        StringBuilder sb = new StringBuilder(1024);
        sb.append(req.prologue().method().text()).append(' ').append(pathAndQuery).append(" HTTP/1.1\r\n");
        sb.append("Host: ").append(lease.endpoint().getHostString()).append(':').append(lease.endpoint().getPort())
                .append("\r\n");
        for (Header h : req.headers()) {
            if (HopByHop.isLowerCase(h.headerName().lowerCase())) {
                continue;
            }
            String n = h.name();
            for (String v : h.allValues()) {
                sb.append(n).append(": ").append(v).append("\r\n");
            }
        }
        sb.append("X-Forwarded-For: ").append(req.remotePeer().host()).append("\r\n");
        String authority = req.authority();
        if (authority != null && !authority.isEmpty()) {
            sb.append("X-Forwarded-Host: ").append(authority).append("\r\n");
        }
        if (hasBody) {
            long declared = req.headers().contentLength().orElse(-1);
            sb.append(declared >= 0 ? "Content-Length: " + declared : "Transfer-Encoding: chunked").append("\r\n");
        }
        sb.append("\r\n");
        return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The exchange with the instance failed before a complete response: status and error code for the caller. */
    private static final class InstanceFailure extends RuntimeException {
        final int status;
        final String code;

        InstanceFailure(int status, String code, String message) {
            super(message, null, false, false);
            this.status = status;
            this.code = code;
        }
    }
}
