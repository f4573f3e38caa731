package dev.isola.gateway;

import dev.isola.api.ErrorCode;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import static dev.isola.gateway.ProxyState.AWAITING_HEAD;
import static dev.isola.gateway.ProxyState.AWAITING_TARGET;
import static dev.isola.gateway.ProxyState.CONNECTING;
import static dev.isola.gateway.ProxyState.DONE;
import static dev.isola.gateway.ProxyState.RECONNECTING;
import static dev.isola.gateway.ProxyState.SKIPPING_INTERIM;
import static dev.isola.gateway.ProxyState.STREAMING_RESPONSE;

/**
 * One request proxied to an upstream (a function instance, or the control plane) and its answer streamed back.
 *
 * <p>Everything runs on the client connection's event loop, and the upstream connection is borrowed from that loop's
 * {@link UpstreamPool}, so no state here is shared between threads. Bodies flow as the codecs' pieces, never whole:
 * when one side cannot take more (its socket buffer is full, or the instance is still starting), reading from the
 * other side pauses until it can, so a 50 MiB answer to a slow client holds a few buffers, not 50 MiB.
 *
 * <p>A state machine ({@link ProxyState}); {@link #moveTo} makes every move and refuses any other:
 * <pre>
 * AWAITING_TARGET    → CONNECTING (the target opened; no idle connection) | AWAITING_HEAD (an idle one is borrowed)
 * CONNECTING         → AWAITING_HEAD (connected: the head and the body so far go out)
 *                    | AWAITING_TARGET (no connection could be made: the target looks for another instance, once)
 * AWAITING_HEAD      → SKIPPING_INTERIM (a 1xx head) | STREAMING_RESPONSE (the final head went to the client)
 *                    | RECONNECTING (the borrowed connection was closed by the instance, the request had no body)
 * SKIPPING_INTERIM   → AWAITING_HEAD (the 1xx ended: the edge answered Expect itself) | RECONNECTING
 * RECONNECTING       → AWAITING_HEAD (the same request, once more, on a new connection) | AWAITING_TARGET (as above)
 * STREAMING_RESPONSE → DONE (the last piece went; the connection goes back to the pool)
 * any but DONE       → DONE: rejected by the target, client gone (499), body too large (413), body too slow
 *                      (408, {@link #cutShort}), timeout (504), the upstream failed (502)
 * </pre>
 * The request body is not a state: the client may still be sending it in any state (an instance may answer before it
 * has read it all); until there is an upstream, it waits in {@code earlyBody}. The target's {@link ProxyTarget#finish}
 * is called exactly once for every {@code opened} that {@link ProxyTarget#retryElsewhere} did not end: on the move to
 * DONE, or as soon as it opens if the exchange ended while the target was still looking.
 *
 * <p>Failures: a pooled connection the instance had closed fails before any response byte; the request is then sent
 * once more on a fresh connection when that is safe (it had no body). A freshly started instance that refuses the
 * connection is tried again for up to a second ({@link UpstreamConnect}). A connection that cannot be made at all
 * reached no instance, so the call goes to another one, once ({@link #connectFailed}). Otherwise (that one fails
 * too, or a connection ends with no response) the lease ends as unhealthy (the dispatcher checks whether the instance
 * died and replaces it), unless the instance still runs and serves other requests (overloaded, not broken), and the
 * caller gets a 502 that says what happened. No whole answer within the function's
 * timeout is a 504: an absolute deadline from the request's head (less the wait for an instance started for it),
 * which no trickle of body or answer moves, so a slow client holds a slot for the timeout at most. An instance that
 * had the whole request and sent nothing is retired (see {@link #hungOnWholeRequest}). Once response bytes went
 * out, the only honest signal left is to abort the client connection.
 */
final class ProxyExchange implements FrontHandler.Exchange {
    /** Status recorded when the client went away before its answer: nginx's "client closed request". */
    static final int CLIENT_CLOSED = 499;
    /** Where work that may block runs: finding out why an instance failed waits for its sandbox to be reaped. */
    private static final Set<HttpMethod> REPLAYABLE = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS,
            HttpMethod.TRACE, HttpMethod.PUT, HttpMethod.DELETE);
    private static final AsciiString IDEMPOTENCY_KEY = AsciiString.cached("idempotency-key");
    private static final Executor OFF_LOOP = task -> Thread.ofVirtual().name("proxy-failure").start(task);

    private final FrontHandler front;
    private final Executor offLoop;
    private final HttpRequest request;
    private final String pathAndQuery;
    private final ProxyTarget target;
    private final long maxBodyBytes;
    /** Read before the head is rewritten for the upstream (which drops the client's Connection header). */
    private final boolean clientKeepAlive;
    private final HttpVersion clientVersion;
    /** Body pieces that arrived before there was an upstream to send them to. */
    private final ArrayDeque<HttpContent> earlyBody = new ArrayDeque<>();

    private ProxyState state = AWAITING_TARGET;
    /** Whether the client has sent the whole request; with an upstream, all of it went there too. */
    private boolean requestDone;
    private long bodyBytes;
    private String poolKey;
    private InetSocketAddress endpoint;
    private long timeoutMillis;
    /** When the function's timeout ends the exchange (ticker nanos), once the target opened. */
    private long deadlineNanos = ClientDeadlines.NEVER;
    private Channel upstream;
    /**
     * Whether {@link #upstream} was borrowed from the pool, so the instance may have closed it while it was idle; the
     * new connection the request then goes on is not, so it goes at most twice.
     */
    private boolean reused;
    /** Whether the head went to an upstream, rewritten for it; a retry sends it again as it is. */
    private boolean headSent;
    private boolean upstreamKeepAlive;
    /** False when the answer's framing ends with the connection (close-delimited to an HTTP/1.0 client). */
    private boolean responseKeepAlive = true;
    private int status;

    ProxyExchange(FrontHandler front, HttpRequest request, String pathAndQuery, ProxyTarget target,
                  long maxBodyBytes) {
        this(front, request, pathAndQuery, target, maxBodyBytes, OFF_LOOP);
    }

    /** {@code offLoop} runs what may block, off the event loop; tests run it in place. */
    ProxyExchange(FrontHandler front, HttpRequest request, String pathAndQuery, ProxyTarget target,
                  long maxBodyBytes, Executor offLoop) {
        this.front = front;
        this.offLoop = offLoop;
        this.request = request;
        this.pathAndQuery = pathAndQuery;
        this.target = target;
        this.maxBodyBytes = maxBodyBytes;
        this.clientKeepAlive = HttpUtil.isKeepAlive(request);
        this.clientVersion = request.protocolVersion();
    }

    EventLoop loop() {
        return front.loop();
    }

    FrontHandler front() {
        return front;
    }

    UpstreamPool upstreams() {
        return front.upstreams();
    }

    ProxyState state() {
        return state;
    }

    /** The one place the state changes; a move the table does not allow is a bug here, not the peer's doing. */
    private void moveTo(ProxyState next) {
        if (!state.leadsTo(next)) {
            throw new IllegalStateException("Failed to move proxy exchange " + target.label() + ": " + state
                    + " cannot lead to " + next);
        }
        state = next;
    }

    @Override
    public void begin() {
        target.open(this);
    }

    // --- the target's answer -------------------------------------------------------------------------------------

    /** The upstream to use; {@code timeoutMillis = 0} waits for its answer as long as it takes. */
    void opened(InetSocketAddress address, String key, long timeout) {
        opened(address, key, timeout, 0);
    }

    /**
     * The upstream to use, with the function's timeout: it ends the exchange {@code timeout} ms after the request's
     * head arrived, plus {@code uncountedNanos}, the time the call waited for an instance started for it (bounded by
     * {@code startTimeout}: a cold start does not eat the function's own time). A wait in the queue does count: the
     * dispatcher bounds it by the same timeout from the same arrival.
     */
    void opened(InetSocketAddress address, String key, long timeout, long uncountedNanos) {
        if (state == DONE) { // the client left, or the body was too large, while the target was found
            target.finish(status, true);
            return;
        }
        endpoint = address;
        poolKey = key;
        timeoutMillis = timeout;
        if (timeout > 0) {
            deadlineNanos = front.requestStartNanos() + uncountedNanos + TimeUnit.MILLISECONDS.toNanos(timeout);
            front.watchUntil(deadlineNanos);
        }
        Channel pooled = front.upstreams().poll(key);
        if (pooled != null) {
            reused = true;
            use(pooled);
        } else {
            moveTo(CONNECTING);
            new UpstreamConnect(this, target, key, address).start();
        }
    }

    void rejected(ErrorCode code, String message) {
        if (state == DONE) {
            return;
        }
        moveTo(DONE);
        releaseEarlyBody();
        FullHttpResponse answer = failedCall(code.status(), code.wireName(), message);
        if (code == ErrorCode.UNAVAILABLE) {
            // The server is stopping: this connection is not worth keeping, the client should go elsewhere.
            front.handOver(this, LocalReply.rejecting(front, request, answer));
        } else if (requestDone) {
            front.reply(this, answer, keepClient());
        } else {
            // Answer once the rest of the request is read, so a keep-alive client keeps its connection.
            front.handOver(this, LocalReply.of(front, request, answer));
        }
    }

    // --- client side ---------------------------------------------------------------------------------------------

    @Override
    public void content(HttpContent piece) {
        if (state == DONE) {
            piece.release();
            return;
        }
        bodyBytes += piece.content().readableBytes();
        requestDone = piece instanceof LastHttpContent;
        if (bodyBytes > maxBodyBytes) {
            piece.release();
            releaseEarlyBody();
            endWithError(413, "body_too_large", "Request body exceeds the limit of " + maxBodyBytes
                    + " bytes (maxBodyBytes)", false, true);
            return;
        }
        if (upstream == null) {
            earlyBody.add(piece);
            front.pauseReading(); // until there is an upstream to send it to
            return;
        }
        // Flushed once per read of the client, or with the last piece: a body of one-byte chunks made one system
        // call per chunk, about 10,000 for one read of 64 KiB, and a slow trickle of such bodies held a loop.
        if (piece instanceof LastHttpContent) {
            upstream.writeAndFlush(piece);
        } else {
            upstream.write(piece);
        }
        if (!requestDone && !upstream.isWritable()) {
            // Paused first: the flush may make the connection writable again at once, and the resume that comes
            // with that must find reading paused, or reading stays paused for good.
            front.pauseReading();
            upstream.flush();
        }
    }

    @Override
    public void clientReadComplete() {
        if (upstream != null) {
            upstream.flush();
        }
    }

    @Override
    public void clientWritable() {
        if (upstream != null) {
            upstream.config().setAutoRead(true);
        }
    }

    @Override
    public void clientClosed() {
        cutShort(CLIENT_CLOSED);
    }

    /** The client is gone, or too slow: the instance is not to blame, so its slot is released as healthy. */
    @Override
    public boolean cutShort(int finalStatus) {
        if (state == DONE) {
            return false;
        }
        if (state == AWAITING_TARGET) {
            target.abandon();
        }
        boolean answering = state == STREAMING_RESPONSE;
        end(finalStatus, true);
        releaseEarlyBody();
        return !answering;
    }

    // --- upstream side -------------------------------------------------------------------------------------------

    /** Sends the request on {@code channel}: borrowed from the pool, just connected, or the retry's fresh one. */
    void use(Channel channel) {
        moveTo(AWAITING_HEAD);
        upstream = channel;
        UpstreamHandler.of(channel).attach(this);
        AsciiString host = front.upstreams().hostHeader(poolKey, endpoint);
        if (!headSent) {
            channel.write(ForwardedHeads.toUpstream(request, pathAndQuery, host, front.remoteHost()));
            headSent = true;
        } else {
            // Again, after a connection that failed before any answer (only a request without a body goes twice):
            // the head as rewritten already, to this connection's instance, and the end of its empty body, which went
            // on the failed connection. Without that end, a chunked request is never finished, and the connection's
            // encoder still expects the rest of a message when the pool lends it to the next request, whose head it
            // then refuses.
            if (!host.contentEquals(request.headers().get(HttpHeaderNames.HOST))) {
                request.headers().set(HttpHeaderNames.HOST, host);
            }
            channel.write(request);
            channel.write(LastHttpContent.EMPTY_LAST_CONTENT);
        }
        while (!earlyBody.isEmpty()) {
            channel.write(earlyBody.poll());
        }
        channel.flush();
        if (!requestDone) {
            front.resumeReading();
        }
    }

    void upstreamWritable() {
        if (!requestDone && state != DONE) {
            front.resumeReading();
        }
    }

    void fromUpstream(HttpObject message) {
        if (state == DONE) {
            ReferenceCountUtil.release(message);
            return;
        }
        if (message.decoderResult().isFailure()) {
            // A malformed head, or a body piece (a bad chunk size): the codec ignores the rest of what the instance
            // sends, so the connection is of no more use, and the answer, if it started, is cut short.
            ReferenceCountUtil.release(message);
            upstreamClosed(message.decoderResult().cause());
            return;
        }
        if (message instanceof HttpResponse response) {
            if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                moveTo(SKIPPING_INTERIM); // 100 Continue and friends: the front answered Expect itself
            } else {
                relayHead(response);
            }
        }
        if (message instanceof HttpContent piece) {
            if (state == SKIPPING_INTERIM) {
                if (piece instanceof LastHttpContent) {
                    moveTo(AWAITING_HEAD);
                }
                piece.release();
            } else if (piece instanceof LastHttpContent) {
                // The call ends (slot freed, metrics and record written) before its end can reach the client, so
                // that what the client reads next, the metrics say, already counts it.
                front.channel().write(piece);
                complete();
                front.channel().flush();
            } else {
                front.channel().write(piece);
                if (!front.channel().isWritable()) {
                    upstream.config().setAutoRead(false); // until the client has taken what is queued
                }
            }
        }
    }

    void upstreamReadComplete() {
        if (state != DONE) {
            front.channel().flush();
        }
    }

    void upstreamClosed(Throwable cause) {
        if (state == DONE) {
            return;
        }
        if (state == STREAMING_RESPONSE) {
            // Part of the answer went out already: the client can only learn of the failure by its connection ending.
            end(502, false);
            front.channel().close();
        } else if (reused && (cause == null || cause instanceof IOException) && bodyBytes == 0 && requestDone
                && replayable() && target.alive()) {
            // The instance closed this idle connection as the request went out: send it again, if it may run twice
            // (the instance may have read it, even crashed on it). Not when what came back was malformed.
            reused = false;
            moveTo(RECONNECTING);
            closeUpstream();
            new UpstreamConnect(this, target, poolKey, endpoint).start();
        } else {
            fail(cause == null ? "it closed the connection; it may have crashed or run out of memory"
                    : describe(cause), true);
        }
    }

    /** RFC 9110's idempotent methods, or a request that says it may go twice ({@code Idempotency-Key}). */
    private boolean replayable() {
        HttpMethod method = request.method();
        return REPLAYABLE.contains(method) || request.headers().contains(IDEMPOTENCY_KEY);
    }

    // --- endings -------------------------------------------------------------------------------------------------

    private void relayHead(HttpResponse response) {
        moveTo(STREAMING_RESPONSE);
        status = response.status().code();
        // The instance may mark the end by closing: then re-frame as chunked for the client, or, for an HTTP/1.0
        // client, close its connection after the answer too.
        boolean closeDelimited = ForwardedHeads.closeDelimited(response, request.method());
        upstreamKeepAlive = HttpUtil.isKeepAlive(response) && !closeDelimited;
        boolean http10 = clientVersion == HttpVersion.HTTP_1_0;
        // An HTTP/1.0 client knows no chunks either: a chunked answer reaches it unframed, ended by the close.
        boolean endsWithClose = http10 && (closeDelimited || HttpUtil.isTransferEncodingChunked(response));
        responseKeepAlive = clientKeepAlive && !endsWithClose;
        ForwardedHeads.toClient(response, target, closeDelimited && !http10, clientVersion, responseKeepAlive);
        front.channel().write(response);
    }

    private void complete() {
        Channel used = upstream;
        UpstreamHandler.of(used).detach();
        upstream = null;
        end(status, true);
        if (upstreamKeepAlive && requestDone && used.isActive()) {
            front.upstreams().giveBack(poolKey, used);
        } else {
            used.close();
        }
        front.finished(this, keepClient() && responseKeepAlive);
    }

    /**
     * Ends with an error: answered with {@code finalStatus} if none of the answer went out yet, else the client
     * connection is aborted, the only honest signal left.
     */
    private void endWithError(int finalStatus, String error, String message, boolean keepAlive,
            boolean healthy) {
        boolean answering = state == STREAMING_RESPONSE;
        end(finalStatus, healthy);
        if (answering) {
            front.channel().close();
        } else {
            front.reply(this, failedCall(finalStatus, error, message), keepAlive);
        }
    }

    /** The error answer of this call, under a new request id that the target notes with the message. */
    private FullHttpResponse failedCall(int finalStatus, String code, String message) {
        String requestId = RequestIds.next();
        target.failed(requestId, finalStatus, code, message);
        return ApiError.failedCall(finalStatus, code, message, requestId);
    }

    /**
     * No connection to the instance could be made, so none of the request reached it: the target may send the call
     * to another instance (once; it replaces this one), else a 502 that says why.
     */
    void connectFailed(String cause) {
        if (!target.retryElsewhere(cause)) {
            fail(cause, false);
            return;
        }
        moveTo(AWAITING_TARGET);
        reused = false;
        deadlineNanos = ClientDeadlines.NEVER; // the next opened() sets it again, from the request's head
        target.open(this);
    }

    /**
     * The upstream failed before any of the answer went out: a 502 that says why; the lease ends unhealthy unless the
     * instance was only too busy ({@link ProxyTarget#busyNotBroken}). {@code connected}: the request had gone out.
     */
    void fail(String cause, boolean connected) {
        moveTo(DONE);
        status = 502;
        closeUpstream();
        releaseEarlyBody(); // held while connecting: the connection failed before it could go
        // Finding out why may wait for the sandbox to be reaped: not on the loop.
        offLoop.execute(() -> {
            String message = target.describeFailure(cause);
            boolean healthy = target.busyNotBroken(cause, connected);
            try {
                loop().execute(() -> {
                    target.finish(502, healthy);
                    front.reply(this, failedCall(502, "instance_failed", message), keepClient());
                });
            } catch (RejectedExecutionException e) { // the gateway is shutting down
                target.finish(502, healthy);
            }
        });
    }

    @Override
    public long checkTimeout(long now) {
        if (!state.timed() || deadlineNanos == ClientDeadlines.NEVER) {
            return ClientDeadlines.NEVER;
        }
        if (now - deadlineNanos < 0) {
            return deadlineNanos;
        }
        endWithError(504, "timeout", target.label() + ": no response within the function's timeout of "
                + timeoutMillis + " ms", keepClient(), !hungOnWholeRequest());
        return ClientDeadlines.NEVER;
    }

    /**
     * Whether, at the deadline, the instance had the whole request and had not begun to answer: its work goes on,
     * uncounted, once the call ends, so the instance must not take another (a concurrency-1 function would get a
     * second call beside the first, and a handler stuck in a loop would time out every later call too). A body still
     * arriving is the client's slowness, and an answer under way may be held back by a slow reader: neither is the
     * instance's fault.
     */
    private boolean hungOnWholeRequest() {
        return requestDone && (state == AWAITING_HEAD || state == SKIPPING_INTERIM);
    }

    /** Marks the exchange over, closes the upstream connection if it still holds one, ends the target's hold. */
    private void end(int finalStatus, boolean healthy) {
        boolean opened = state != AWAITING_TARGET; // if not, opened() calls finish once the target opens
        moveTo(DONE);
        status = finalStatus;
        closeUpstream();
        releaseEarlyBody(); // a timeout while connecting: the body held for the connection never goes
        if (opened) {
            target.finish(finalStatus, healthy);
        }
    }

    private void closeUpstream() {
        if (upstream != null) {
            UpstreamHandler.of(upstream).detach();
            upstream.close();
            upstream = null;
        }
    }

    // --- helpers -------------------------------------------------------------------------------------------------

    /** Whether the client connection can take another request: it asked to, and nothing of this one is unread. */
    private boolean keepClient() {
        return requestDone && clientKeepAlive;
    }

    private void releaseEarlyBody() {
        earlyBody.forEach(HttpContent::release);
        earlyBody.clear();
    }

    static String describe(Throwable cause) {
        return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    }
}
