package dev.isola.gateway;

import dev.isola.Ticker;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
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

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One request proxied to an upstream (a function instance, or the control plane) and its answer streamed back.
 *
 * <p>Everything runs on the client connection's event loop, and the upstream connection is borrowed from that loop's
 * {@link UpstreamPool}, so no state here is shared between threads. Bodies flow as the codecs' pieces, never whole:
 * when one side cannot take more (its socket buffer is full, or the instance is still starting), reading from the
 * other side pauses until it can, so a 50 MiB answer to a slow client holds a few buffers, not 50 MiB.
 *
 * <p>Failures: a pooled connection the instance had closed fails before any response byte; the request is then sent
 * once more on a fresh connection when that is safe (it had no body). A freshly started instance that refuses the
 * connection is tried again for up to a second (it may have said it is ready a moment before it listens). Otherwise
 * a connection refused or reset with no response ends the lease as unhealthy (the dispatcher checks whether the
 * instance died and replaces it) and the caller gets a 502 that says what happened. No response head within the function's timeout is a 504. Once response bytes went
 * out, the only honest signal left is to abort the client connection.
 */
final class ProxyExchange implements FrontHandler.Exchange {
    /** Status recorded when the client went away before its answer: nginx's "client closed request". */
    static final int CLIENT_CLOSED = 499;
    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("X-Forwarded-For");
    private static final AsciiString X_FORWARDED_HOST = AsciiString.cached("X-Forwarded-Host");
    private static final System.Logger LOG = System.getLogger(ProxyExchange.class.getName());
    private static final long REFUSED_RETRY_MILLIS = 10;
    private static final long REFUSED_RETRY_WINDOW_MILLIS = 1_000;
    /** Where work that may block runs: finding out why an instance failed waits for its sandbox to be reaped. */
    private static final Executor OFF_LOOP = task -> Thread.ofVirtual().name("proxy-failure").start(task);

    private final FrontHandler front;
    private final Ticker ticker;
    private final Executor offLoop;
    private final HttpRequest request;
    private final String pathAndQuery;
    private final ProxyTarget target;
    private final long maxBodyBytes;
    /** Read before the head is rewritten for the upstream (which drops the client's Connection header). */
    private final boolean clientKeepAlive;
    private final HttpVersion clientVersion;
    private boolean headRewritten;
    private final ArrayDeque<HttpContent> earlyBody = new ArrayDeque<>();

    private boolean requestDone;
    private boolean requestSent;
    private long bodyBytes;
    private String poolKey;
    private InetSocketAddress endpoint;
    private long timeoutMillis;
    private boolean opened;
    private Channel upstream;
    private boolean reused;
    private boolean retried;
    private boolean responseStarted;
    private boolean skippingInterim;
    private boolean upstreamKeepAlive;
    /** False when the answer's framing ends with the connection (close-delimited to an HTTP/1.0 client). */
    private boolean responseKeepAlive = true;
    private int status;
    private boolean done;
    private long lastProgressNanos;
    /** Whether the function's timeout runs (on the connection's {@link FrontHandler#watch watchdog}). */
    private boolean timing;
    private long firstRefusedNanos;

    ProxyExchange(FrontHandler front, HttpRequest request, String pathAndQuery, ProxyTarget target,
                  long maxBodyBytes) {
        this(front, request, pathAndQuery, target, maxBodyBytes, OFF_LOOP);
    }

    /** {@code offLoop} runs what may block, off the event loop; tests run it in place. */
    ProxyExchange(FrontHandler front, HttpRequest request, String pathAndQuery, ProxyTarget target,
                  long maxBodyBytes, Executor offLoop) {
        this.front = front;
        this.ticker = front.ticker();
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

    @Override
    public void begin() {
        target.open(this);
    }

    // --- the target's answer -------------------------------------------------------------------------------------

    /** The upstream to use; {@code timeoutMillis = 0} waits for its answer as long as it takes. */
    void opened(InetSocketAddress address, String key, long timeout) {
        opened = true;
        if (done) { // the client left, or the body was too large, while the target was found
            target.finish(status, true);
            return;
        }
        endpoint = address;
        poolKey = key;
        timeoutMillis = timeout;
        Channel pooled = front.upstreams().poll(key);
        if (pooled != null) {
            reused = true;
            use(pooled);
        } else {
            connect();
        }
    }

    void rejected(int code, String error, String message) {
        if (done) {
            return;
        }
        done = true;
        releaseEarlyBody();
        if (requestDone) {
            front.replyError(this, code, error, message, keepClient());
        } else {
            // Answer once the rest of the request is read, so a keep-alive client keeps its connection.
            front.handOver(this, LocalReply.of(front, request, ApiError.response(code, error, message)));
        }
    }

    // --- client side ---------------------------------------------------------------------------------------------

    @Override
    public void content(HttpContent piece) {
        if (done) {
            piece.release();
            return;
        }
        bodyBytes += piece.content().readableBytes();
        requestDone = piece instanceof LastHttpContent;
        if (bodyBytes > maxBodyBytes) {
            piece.release();
            tooLarge();
            return;
        }
        if (upstream == null) {
            earlyBody.add(piece);
            front.pauseReading(); // until there is an upstream to send it to
            return;
        }
        sendBody(piece);
        progress(); // a body still arriving is not a silent instance
        if (!requestDone && !upstream.isWritable()) {
            front.pauseReading();
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
        if (done) {
            return;
        }
        end(CLIENT_CLOSED, true);
        releaseEarlyBody();
    }

    // --- upstream side -------------------------------------------------------------------------------------------

    private void connect() {
        ChannelFuture connecting = front.upstreams().connect(poolKey, endpoint);
        connecting.addListener(f -> {
            if (done) {
                connecting.channel().close();
            } else if (f.isSuccess()) {
                use(connecting.channel());
            } else if (refused(f.cause()) && target.fresh() && mayRetryRefused()) {
                loop().schedule(() -> {
                    if (!done) {
                        connect();
                    }
                }, REFUSED_RETRY_MILLIS, TimeUnit.MILLISECONDS);
            } else {
                fail(refused(f.cause()) ? "connection refused"
                        : f.cause() instanceof ConnectTimeoutException ? "no connection within "
                        + UpstreamPool.CONNECT_TIMEOUT_MILLIS + " ms" : describe(f.cause()));
            }
        });
    }

    private static boolean refused(Throwable cause) {
        return cause instanceof ConnectException && !(cause instanceof ConnectTimeoutException);
    }

    /**
     * Whether a refused connection to a freshly started instance should be tried again: nothing was sent, and an
     * instance that just said it is ready may not accept yet (it called back before it listened). Up to {@value #REFUSED_RETRY_WINDOW_MILLIS} ms after the first refusal, then the refusal stands.
     */
    private boolean mayRetryRefused() {
        long now = ticker.nanos();
        if (firstRefusedNanos == 0) {
            firstRefusedNanos = now;
            LOG.log(System.Logger.Level.INFO, () -> target.label() + ": refused the first connection after it was "
                    + "ready (" + endpoint + "); trying again for up to " + REFUSED_RETRY_WINDOW_MILLIS + " ms");
        }
        return now - firstRefusedNanos < TimeUnit.MILLISECONDS.toNanos(REFUSED_RETRY_WINDOW_MILLIS);
    }

    private void use(Channel channel) {
        upstream = channel;
        UpstreamHandler.of(channel).attach(this);
        channel.write(forwardedHead());
        while (!earlyBody.isEmpty()) {
            sendBody(earlyBody.poll());
        }
        channel.flush();
        progress();
        armTimer();
        if (!requestDone) {
            front.resumeReading();
        }
    }

    private void sendBody(HttpContent piece) {
        boolean last = piece instanceof LastHttpContent;
        if (last) {
            requestSent = true;
        }
        upstream.writeAndFlush(piece);
    }

    void upstreamWritable() {
        if (!requestDone && !done) {
            front.resumeReading();
        }
    }

    void fromUpstream(HttpObject message) {
        if (done) {
            ReferenceCountUtil.release(message);
            return;
        }
        progress();
        if (message instanceof HttpResponse response) {
            if (response.decoderResult().isFailure()) {
                ReferenceCountUtil.release(message);
                upstreamClosed(response.decoderResult().cause());
                return;
            }
            if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                skippingInterim = true; // 100 Continue and friends: the front answered Expect itself
            } else {
                relayHead(response);
            }
        }
        if (message instanceof HttpContent piece) {
            if (skippingInterim) {
                skippingInterim = !(piece instanceof LastHttpContent);
                piece.release();
            } else if (piece instanceof LastHttpContent) {
                front.channel().writeAndFlush(piece);
                complete();
            } else {
                front.channel().write(piece);
                if (!front.channel().isWritable()) {
                    upstream.config().setAutoRead(false); // until the client has taken what is queued
                }
            }
        }
    }

    void upstreamReadComplete() {
        if (!done) {
            front.channel().flush();
        }
    }

    void upstreamClosed(Throwable cause) {
        if (done) {
            return;
        }
        if (!responseStarted) {
            if (reused && !retried && bodyBytes == 0 && requestDone && target.alive()) {
                // The instance closed this idle connection; nothing of the request was consumed: send it again.
                retried = true;
                reused = false;
                closeUpstream();
                connect();
                return;
            }
            fail(cause == null ? "it closed the connection; it may have crashed or run out of memory"
                    : describe(cause));
            return;
        }
        // Part of the answer went out already: the client can only learn of the failure by its connection ending.
        end(502, false);
        front.channel().close();
    }

    // --- endings -------------------------------------------------------------------------------------------------

    private void relayHead(HttpResponse response) {
        responseStarted = true;
        status = response.status().code();
        upstreamKeepAlive = HttpUtil.isKeepAlive(response);
        HttpHeaders headers = response.headers();
        HopByHop.removeFrom(headers);
        boolean bodyless = request.method() == HttpMethod.HEAD || status == 204 || status == 304;
        boolean keepAlive = clientKeepAlive;
        if (!bodyless && !HttpUtil.isTransferEncodingChunked(response) && !HttpUtil.isContentLengthSet(response)) {
            // The instance marks the end by closing: re-frame as chunked for the client.
            upstreamKeepAlive = false;
            if (clientVersion == HttpVersion.HTTP_1_0) {
                keepAlive = false;
            } else {
                headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            }
        }
        target.decorate(headers);
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
        HttpUtil.setKeepAlive(headers, clientVersion, keepAlive);
        responseKeepAlive = keepAlive;
        front.channel().write(response);
    }

    private void complete() {
        Channel used = upstream;
        UpstreamHandler.of(used).detach();
        upstream = null;
        end(status, true);
        if (upstreamKeepAlive && requestSent && used.isActive()) {
            front.upstreams().giveBack(poolKey, used);
        } else {
            used.close();
        }
        front.finished(this, keepClient() && responseKeepAlive);
    }

    private void tooLarge() {
        end(413, true);
        releaseEarlyBody();
        if (!responseStarted) {
            front.replyError(this, 413, "body_too_large", "Request body exceeds the limit of " + maxBodyBytes
                    + " bytes (maxBodyBytes)", false);
        } else {
            front.channel().close();
        }
    }

    private void fail(String cause) {
        done = true;
        status = 502;
        cancelTimer();
        closeUpstream();
        // Finding out why may wait for the sandbox to be reaped: not on the loop.
        offLoop.execute(() -> {
            String message = target.describeFailure(cause);
            try {
                loop().execute(() -> {
                    target.finish(502, false);
                    front.replyError(this, 502, "instance_failed", message, keepClient());
                });
            } catch (RejectedExecutionException e) { // the gateway is shutting down
                target.finish(502, false);
            }
        });
    }

    @Override
    public long checkTimeout() {
        if (done || !timing) {
            return -1;
        }
        long idle = ticker.nanos() - lastProgressNanos;
        long timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        if (idle < timeoutNanos) {
            return timeoutNanos - idle;
        }
        timing = false;
        if (responseStarted) {
            end(504, true);
            front.channel().close();
            return -1;
        }
        end(504, true);
        front.replyError(this, 504, "timeout", target.label() + ": no response within the function's timeout of "
                + timeoutMillis + " ms", keepClient());
        return -1;
    }

    /** Marks the exchange over, closes the upstream connection if it still holds one, ends the target's hold. */
    private void end(int finalStatus, boolean healthy) {
        done = true;
        status = finalStatus;
        cancelTimer();
        closeUpstream();
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

    /** The client's head, rewritten in place for the upstream (this exchange owns it; copying showed in profiles). */
    private HttpRequest forwardedHead() {
        if (headRewritten) { // the retry on a fresh connection sends the same head again
            return request;
        }
        headRewritten = true;
        HttpHeaders headers = request.headers();
        String host = headers.get(HttpHeaderNames.HOST);
        boolean chunked = HttpUtil.isTransferEncodingChunked(request);
        HopByHop.removeFrom(headers);
        headers.remove(HttpHeaderNames.EXPECT);
        if (chunked) {
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            headers.remove(HttpHeaderNames.CONTENT_LENGTH);
        }
        headers.set(HttpHeaderNames.HOST, front.upstreams().hostHeader(poolKey, endpoint));
        headers.add(X_FORWARDED_FOR, front.remoteHost());
        if (host != null && !host.isEmpty()) {
            headers.add(X_FORWARDED_HOST, host);
        }
        request.setUri(pathAndQuery);
        request.setProtocolVersion(HttpVersion.HTTP_1_1);
        return request;
    }

    /** Whether the client connection can take another request: it asked to, and nothing of this one is unread. */
    private boolean keepClient() {
        return requestDone && clientKeepAlive;
    }

    private void progress() {
        lastProgressNanos = ticker.nanos();
    }

    private void armTimer() {
        if (timeoutMillis > 0 && !timing) {
            timing = true;
            front.watch(TimeUnit.MILLISECONDS.toNanos(timeoutMillis));
        }
    }

    private void cancelTimer() {
        timing = false;
    }

    private void releaseEarlyBody() {
        earlyBody.forEach(HttpContent::release);
        earlyBody.clear();
    }

    private static String describe(Throwable cause) {
        return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    }
}
